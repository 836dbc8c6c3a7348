using Microsoft.EntityFrameworkCore;
using Netlab.Data;

namespace Netlab.Web.Data;

/// <summary>
/// Creates and migrates the SQLite database before the portal serves anything, then marks the
/// runs a killed process left "Running" as Interrupted (their events written so far are kept).
/// </summary>
public sealed class DatabaseStartup(IDbContextFactory<NetlabDbContext> contexts, ILogger<DatabaseStartup> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
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
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
