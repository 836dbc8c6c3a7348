using Microsoft.EntityFrameworkCore;
using Netlab.Data;

namespace Netlab.Web.Data;

/// <summary>
/// Creates and migrates the SQLite database before the portal serves anything, then marks the
/// runs and servers a killed process left running as Interrupted (their events written so far are kept).
/// </summary>
public sealed class DatabaseStartup(DataDirectoryLock dataLock, IDbContextFactory<NetlabDbContext> contexts, ScaleOut.PortalInstance instance, ScaleOut.IEventRelay relay,
    TimeProvider time, ILogger<DatabaseStartup> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        GC.KeepAlive(dataLock);
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        await db.Database.MigrateAsync(cancellationToken);
        // WAL: the UI and the API read while runs write.
        await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;", cancellationToken);

        // SQLite: only this process uses the folder (the lock is held for its life), so every run
        // and server left "Running" is a dead process's. A shared database: only those of
        // instances whose lease has expired (the live ones' are theirs).
        var marked = await ScaleOut.Interruptions.MarkAsync(db, instance.SharesDatabase ? time.GetUtcNow().UtcDateTime - instance.Lease : null, instance.Id, cancellationToken);
        if (marked.Runs.Count > 0)
            logger.LogWarning("Marked {Count} run(s) left running by a previous process as Interrupted", marked.Runs.Count);
        if (marked.Servers.Count > 0)
            logger.LogWarning("Marked {Count} server(s) left running by a previous process as Interrupted", marked.Servers.Count);
        await ScaleOut.InstanceLease.EndFollowersAsync(relay, marked);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
