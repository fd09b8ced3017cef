{*
 * OC Pizza payment module: payment step, why the cart cannot be paid.
 *}
<div class="ocpizza-unavailable alert alert-warning">
  <ul>
    {foreach from=$ocpizza_problems item=ocpizza_problem}
      <li>{$ocpizza_problem|escape:'htmlall':'UTF-8'}</li>
    {/foreach}
  </ul>
</div>
