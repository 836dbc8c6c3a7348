using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Netlab.Data;
using Netlab.Web.Hosting;

namespace Netlab.Web.Servers;

/// <summary>
/// Deletes stored servers (and their events) that ended more than Netlab:Servers:RetainDays ago:
/// at start-up and then daily. A server still running is never deleted, however old.
/// </summary>
public sealed class ServerRetention(IDbContextFactory<NetlabDbContext> contexts, IOptionsMonitor<NetlabOptions> settings,
    TimeProvider time, ILogger<ServerRetention> logger) : BackgroundService
{
    private static readonly TimeSpan Period = TimeSpan.FromDays(1);

    /// <summary>Deletes what is past retention now; returns how many servers went.</summary>
    public async Task<int> PurgeAsync(CancellationToken cancellationToken)
    {
        var cutoff = time.GetUtcNow().UtcDateTime - TimeSpan.FromDays(settings.CurrentValue.Servers.RetainDays);
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        // Ended ones only: DatabaseStartup gives every server a killed process left an end first.
        var old = db.Servers.Where(s => s.StoppedAt != null && s.StoppedAt < cutoff);
        // Events first, explicitly: a cascade needs the foreign-keys pragma, which is per connection.
        await db.ServerEvents.Where(e => old.Any(s => s.Id == e.ServerId)).ExecuteDeleteAsync(cancellationToken);
        var deleted = await old.ExecuteDeleteAsync(cancellationToken);
        if (deleted > 0)
            logger.LogInformation("Deleted {Count} server(s) that ended before {Cutoff:u} with their events", deleted, cutoff);
        return deleted;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Period, time);
        try
        {
            do
            {
                try
                {
                    await PurgeAsync(stoppingToken);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    logger.LogError(e, "Could not delete old servers");
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException)
        {
            // Shutting down.
        }
    }
}
