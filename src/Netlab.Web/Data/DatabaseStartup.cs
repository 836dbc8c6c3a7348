using Microsoft.EntityFrameworkCore;
using Netlab.Data;

namespace Netlab.Web.Data;

/// <summary>
/// Creates and migrates the SQLite database before the portal serves anything, then marks the
/// runs and servers a killed process left running as Interrupted (their events written so far are kept).
/// </summary>
public sealed class DatabaseStartup(DataDirectoryLock dataLock, IDbContextFactory<NetlabDbContext> contexts, ILogger<DatabaseStartup> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        // Only this process uses the folder (the lock is held for its life), so runs and servers
        // left "Running" are a dead process's, not a live neighbour's.
        GC.KeepAlive(dataLock);
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        await db.Database.MigrateAsync(cancellationToken);
        // WAL: the UI and the API read while runs write.
        await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;", cancellationToken);

        var interrupted = await db.Runs
            .Where(r => r.Status == RunStatus.Running)
            .ExecuteUpdateAsync(set => set
                .SetProperty(r => r.Status, RunStatus.Interrupted)
                .SetProperty(r => r.Error, "The portal stopped while this run was in progress.")
                .SetProperty(r => r.EventCount, r => db.RunEvents.Count(e => e.RunId == r.Id)), cancellationToken);
        if (interrupted > 0)
            logger.LogWarning("Marked {Count} run(s) left running by a previous process as Interrupted", interrupted);

        // No server runs yet in this process, so every record without an end was left by a killed one.
        // Its end is unknown: the last event it stored is the closest there is.
        var servers = await db.Servers
            .Where(s => s.StoppedAt == null)
            .ExecuteUpdateAsync(set => set
                .SetProperty(s => s.State, s => s.State == ServerStatus.Faulted ? ServerStatus.Faulted : ServerStatus.Interrupted)
                .SetProperty(s => s.FaultReason, s => s.State == ServerStatus.Faulted ? s.FaultReason : "The portal stopped while this server was running.")
                .SetProperty(s => s.EventCount, s => db.ServerEvents.LongCount(e => e.ServerId == s.Id))
                .SetProperty(s => s.StoppedAt, s => db.ServerEvents.Where(e => e.ServerId == s.Id).Max(e => (DateTime?)e.Timestamp) ?? s.StartedAt), cancellationToken);
        if (servers > 0)
            logger.LogWarning("Marked {Count} server(s) left running by a previous process as Interrupted", servers);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
