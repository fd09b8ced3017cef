{*
 * OC Pizza payment module: order confirmation page.
 *}
<section class="ocpizza-payment-return">
  <p>{l s='Thank you! Your order %s has been sent to the restaurant.' sprintf=[$ocpizza_reference] mod='ocpizza'}</p>
  {if $ocpizza_awaiting_payment}
    <p>{l s='You will pay on delivery or when you pick up your order.' mod='ocpizza'}</p>
  {/if}
</section>
