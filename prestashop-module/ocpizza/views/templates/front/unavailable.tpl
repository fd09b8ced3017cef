{*
 * OC Pizza payment module: the cart cannot be paid (restaurant, stock); says which line and why.
 *}
{extends file='page.tpl'}
{block name='page_content'}
  <section class="ocpizza-unavailable alert alert-warning">
    <p>{l s='Your order cannot be paid yet:' mod='ocpizza'}</p>
    <ul>
      {foreach from=$ocpizza_problems item=ocpizza_problem}
        <li>{$ocpizza_problem|escape:'htmlall':'UTF-8'}</li>
      {/foreach}
    </ul>
    <a class="btn btn-primary" href="{$ocpizza_cart_url|escape:'htmlall':'UTF-8'}">{l s='Back to my cart' mod='ocpizza'}</a>
  </section>
{/block}
