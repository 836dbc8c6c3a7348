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
    ScaleOut.PortalInstance instance, ScaleOut.IEventRelay relay, TimeProvider time, ILogger<DatabaseStartup> logger) : IHostedService
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
    /// Recovery at start: runs and servers left "Running" by a dead process become Interrupted. On
    /// SQLite that is all of them (one portal per data folder: the lock). On a shared database, only
    /// those of instances whose lease has expired (the live instances' are theirs; ScaleOut.InstanceLease).
    /// </summary>
    private async Task MarkInterruptedAsync(NetlabDbContext db, CancellationToken cancellationToken)
    {
        var marked = await ScaleOut.Interruptions.MarkAsync(db, instance.SharesDatabase ? time.GetUtcNow().UtcDateTime - instance.Lease : null, instance.Id, cancellationToken);
        if (marked.Runs.Count > 0)
            logger.LogWarning("Marked {Count} run(s) left running by a previous process as Interrupted", marked.Runs.Count);
        if (marked.Servers.Count > 0)
            logger.LogWarning("Marked {Count} server(s) left running by a previous process as Interrupted", marked.Servers.Count);
        await ScaleOut.InstanceLease.EndFollowersAsync(relay, marked);
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
