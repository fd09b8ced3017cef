{*
 * OC Pizza payment module: auto-submitting form to SogeCommerce's payment page.
 * Values were normalised and signed before escaping; escaping happens only here, at output.
 *}
{extends file='page.tpl'}
{block name='page_content'}
  <section class="ocpizza-redirect">
    <p>{l s='Redirecting you to the secure payment page…' mod='ocpizza'}</p>
    <form id="ocpizza-payment-form" method="post" action="{$ocpizza_action|escape:'htmlall':'UTF-8'}">
      {foreach from=$ocpizza_fields key=ocpizza_name item=ocpizza_value}
        <input type="hidden" name="{$ocpizza_name|escape:'htmlall':'UTF-8'}" value="{$ocpizza_value|escape:'htmlall':'UTF-8'}">
      {/foreach}
      <noscript><button type="submit" class="btn btn-primary">{l s='Go to the payment page' mod='ocpizza'}</button></noscript>
    </form>
    <script>document.getElementById('ocpizza-payment-form').submit();</script>
  </section>
{/block}
