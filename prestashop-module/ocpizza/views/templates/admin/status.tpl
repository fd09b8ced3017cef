{*
 * OC Pizza payment module: configuration page status panel and URLs to copy.
 *}
<div class="panel">
  <h3><i class="icon-heart"></i> {l s='Status' mod='ocpizza'}</h3>
  <table class="table">
    <tbody>
      {foreach from=$ocpizza_status item=ocpizza_row}
        <tr>
          <td>{$ocpizza_row.name|escape:'htmlall':'UTF-8'}</td>
          <td>{if $ocpizza_row.ok}<span class="badge badge-success">OK</span>{else}<span class="badge badge-danger">KO</span>{/if}</td>
          <td>{$ocpizza_row.detail|escape:'htmlall':'UTF-8'}</td>
        </tr>
      {/foreach}
    </tbody>
  </table>
  {if $ocpizza_refused}
    <h4>{l s='Shop orders not sent to the restaurants' mod='ocpizza'}</h4>
    <p>{l s='OCPizza_DB refused these orders: they are not linked to any restaurant order. Prepare them by hand, then fix the cause (module README, section Going live on a shop that already has orders).' mod='ocpizza'}</p>
    <table class="table">
      <thead><tr><th>{l s='Order' mod='ocpizza'}</th><th>{l s='Reference' mod='ocpizza'}</th><th>{l s='Reason' mod='ocpizza'}</th><th>{l s='Date (UTC)' mod='ocpizza'}</th></tr></thead>
      <tbody>
        {foreach from=$ocpizza_refused item=ocpizza_order}
          <tr>
            <td>{$ocpizza_order.id_order|escape:'htmlall':'UTF-8'}</td>
            <td>{$ocpizza_order.reference|escape:'htmlall':'UTF-8'}</td>
            <td>{$ocpizza_order.reason|escape:'htmlall':'UTF-8'}</td>
            <td>{$ocpizza_order.date_upd|escape:'htmlall':'UTF-8'}</td>
          </tr>
        {/foreach}
      </tbody>
    </table>
  {/if}
  <p>{l s='Notification URL to paste into the SogeCommerce back office (Settings > Notification rules > URL de notification de l\'API formulaire V1, V2):' mod='ocpizza'}</p>
  <pre>{$ocpizza_ipn_url|escape:'htmlall':'UTF-8'}</pre>
  <p>{l s='Paste the same URL into URL de notification de l\'API REST (same page): REST payments, and refunds or cancellations made in the SogeCommerce back office, reach the shop through it. The REST password of the mode must be set.' mod='ocpizza'}</p>
  <p>{l s='Cron URL publishing pending events to the bridge (call it every minute):' mod='ocpizza'}</p>
  <pre>{$ocpizza_cron_url|escape:'htmlall':'UTF-8'}</pre>
</div>
