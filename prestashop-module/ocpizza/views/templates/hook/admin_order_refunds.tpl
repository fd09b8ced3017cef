{*
 * OC Pizza payment module: order page (back office), the order's refunds asked of SogeCommerce and their outcome.
 *}
<div class="card mt-2 ocpizza-refunds" id="ocpizza-refunds">
  <div class="card-header">
    <h3 class="card-header-title">{l s='Card refunds (SogeCommerce)' mod='ocpizza'}</h3>
  </div>
  <div class="card-body">
    <table class="table">
      <thead>
        <tr>
          <th>{l s='Date (UTC)' mod='ocpizza'}</th>
          <th>{l s='Refund' mod='ocpizza'}</th>
          <th>{l s='Amount' mod='ocpizza'}</th>
          <th>{l s='Outcome' mod='ocpizza'}</th>
          <th>{l s='Asked by' mod='ocpizza'}</th>
        </tr>
      </thead>
      <tbody>
        {foreach from=$ocpizza_refunds item=ocpizza_refund}
          <tr class="{if $ocpizza_refund.warning}table-danger{elseif $ocpizza_refund.ok}table-success{/if}">
            <td>{$ocpizza_refund.date|escape:'htmlall':'UTF-8'}</td>
            <td>{$ocpizza_refund.what|escape:'htmlall':'UTF-8'}</td>
            <td>{$ocpizza_refund.amount|escape:'htmlall':'UTF-8'}</td>
            <td>{$ocpizza_refund.message|escape:'htmlall':'UTF-8'}</td>
            <td>{$ocpizza_refund.by|escape:'htmlall':'UTF-8'}</td>
          </tr>
        {/foreach}
      </tbody>
    </table>
  </div>
</div>
