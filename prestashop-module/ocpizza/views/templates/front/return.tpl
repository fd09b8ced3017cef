{*
 * OC Pizza payment module: return page when the order is not created yet. Never says "failed" for a payment
 * that may have been accepted.
 *}
{extends file='page.tpl'}
{block name='page_content'}
  <section class="ocpizza-return">
    {if $ocpizza_state == 'not_paid'}
      <div class="alert alert-warning">
        <p>{l s='Your payment was not completed and nothing was charged. Your cart is kept.' mod='ocpizza'}</p>
        <a class="btn btn-primary" href="{$ocpizza_retry_url|escape:'htmlall':'UTF-8'}">{l s='Choose a payment method again' mod='ocpizza'}</a>
      </div>
    {else}
      <div class="alert alert-info">
        <p>{l s='Payment received, your order is being finalised. You will receive a confirmation e-mail in a moment.' mod='ocpizza'}</p>
        <a class="btn btn-secondary" href="{$ocpizza_history_url|escape:'htmlall':'UTF-8'}">{l s='My orders' mod='ocpizza'}</a>
      </div>
    {/if}
  </section>
{/block}
