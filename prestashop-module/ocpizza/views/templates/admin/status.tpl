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
  <p>{l s='Notification URL to paste into the SogeCommerce back office (Settings > Notification rules > URL de notification de l\'API formulaire V1, V2):' mod='ocpizza'}</p>
  <pre>{$ocpizza_ipn_url|escape:'htmlall':'UTF-8'}</pre>
  <p>{l s='Cron URL publishing pending events to the bridge (call it every minute):' mod='ocpizza'}</p>
  <pre>{$ocpizza_cron_url|escape:'htmlall':'UTF-8'}</pre>
</div>
