using System.Xml.Linq;
using Microsoft.AspNetCore.DataProtection.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;
using Netlab.Data;
using Npgsql;

namespace Netlab.Web.Data;

/// <summary>
/// Creates and migrates the database (SQLite or PostgreSQL) before the portal serves anything, then
/// marks the runs and servers a killed process left running as Interrupted (their events written so far are kept).
/// </summary>
public sealed class DatabaseStartup(DataDirectoryLock dataLock, LabDirectories directories, IDbContextFactory<NetlabDbContext> contexts,
    ILogger<DatabaseStartup> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        GC.KeepAlive(dataLock);
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        await MigrateAsync(db, cancellationToken);
        if (db.Database.IsSqlite())
            // WAL: the UI and the API read while runs write.
            await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;", cancellationToken);
        await ImportFileKeysAsync(db, cancellationToken);
        await MarkInterruptedAsync(db, cancellationToken);
    }

    private static async Task MigrateAsync(NetlabDbContext db, CancellationToken cancellationToken)
    {
        try
        {
            await db.Database.MigrateAsync(cancellationToken);
        }
        catch (NpgsqlException e) when (e is not PostgresException { SqlState: not ("28P01" or "28000" or "3D000" or "42501") })
        {
            // Unreachable, refused login, no such database, no right to create tables: all fixed in the
            // configuration or on the server, so one line says which. Other SQL errors are bugs and keep their stack.
            throw NetlabDatabase.Unusable(db.Database.GetConnectionString()!, e);
        }
    }

    /// <summary>
    /// Recovery at start: runs and servers left "Running" belong to a dead process. That holds because
    /// one portal uses a data folder (the lock) and, until instances lease their work, one portal a database.
    /// </summary>
    private async Task MarkInterruptedAsync(NetlabDbContext db, CancellationToken cancellationToken)
    {
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

    /// <summary>
    /// Data protection keys used to be files in &lt;DataDirectory&gt;/keys; a database without keys takes
    /// them once, so the sign-in cookies of an upgraded portal stay valid.
    /// </summary>
    private async Task ImportFileKeysAsync(NetlabDbContext db, CancellationToken cancellationToken)
    {
        var folder = Path.Combine(directories.DataDirectory, "keys");
        if (!Directory.Exists(folder) || await db.DataProtectionKeys.AnyAsync(cancellationToken))
            return;
        foreach (var file in Directory.EnumerateFiles(folder, "*.xml"))
        {
            // What FileSystemXmlRepository wrote, in the shape EntityFrameworkCoreXmlRepository stores.
            var xml = XElement.Load(file).ToString(SaveOptions.DisableFormatting);
            db.DataProtectionKeys.Add(new DataProtectionKey { FriendlyName = Path.GetFileNameWithoutExtension(file), Xml = xml });
        }
        var imported = await db.SaveChangesAsync(cancellationToken);
        if (imported > 0)
            logger.LogInformation("Moved {Count} data protection key(s) from {Folder} into the database", imported, folder);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
