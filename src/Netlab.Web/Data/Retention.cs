using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Netlab.Data;
using Netlab.Web.Hosting;

namespace Netlab.Web.Data;

/// <summary>
/// Keeps the store from only growing, at start-up and then daily: stored servers that ended more
/// than Netlab:Servers:RetainDays ago go with their events and their folder (mailbox, FTP files),
/// runs that ended more than Netlab:Runs:RetainDays ago go with their events, and then SQLite
/// gives the space back (VACUUM). What grades rest on stays: a graded run, and a server whose
/// stored session a client grader read (a regrade reads it again). Running ones are never deleted.
/// </summary>
public sealed class Retention(IDbContextFactory<NetlabDbContext> contexts, IOptionsMonitor<NetlabOptions> settings, LabDirectories directories,
    TimeProvider time, ILogger<Retention> logger) : BackgroundService
{
    private static readonly TimeSpan Period = TimeSpan.FromDays(1);

    /// <summary>Deletes what is past retention now; returns how many servers and runs went.</summary>
    public async Task<(int Servers, int Runs)> PurgeAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow().UtcDateTime;
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);

        var serverCutoff = now - TimeSpan.FromDays(settings.CurrentValue.Servers.RetainDays);
        // Ended ones only: DatabaseStartup gives every server a killed process left an end first.
        var oldServers = db.Servers.Where(s => s.StoppedAt != null && s.StoppedAt < serverCutoff && !db.Submissions.Any(g => g.ServerId == s.Id));
        var serverIds = await oldServers.Select(s => s.Id).ToListAsync(cancellationToken);
        // Events first, explicitly: a cascade needs the foreign-keys pragma, which is per connection.
        await db.ServerEvents.Where(e => oldServers.Any(s => s.Id == e.ServerId)).ExecuteDeleteAsync(cancellationToken);
        var servers = await oldServers.ExecuteDeleteAsync(cancellationToken);
        foreach (var id in serverIds)
            directories.DeleteServerFolder(id);

        var runs = 0;
        if (settings.CurrentValue.Runs.RetainDays > 0)
        {
            var runCutoff = now - TimeSpan.FromDays(settings.CurrentValue.Runs.RetainDays);
            var oldRuns = db.Runs.Where(r => r.EndedAt != null && r.EndedAt < runCutoff && !db.Submissions.Any(g => g.RunId == r.Id));
            await db.RunEvents.Where(e => oldRuns.Any(r => r.Id == e.RunId)).ExecuteDeleteAsync(cancellationToken);
            runs = await oldRuns.ExecuteDeleteAsync(cancellationToken);
        }

        if (servers + runs > 0)
        {
            logger.LogInformation("Deleted {Servers} server(s) that ended before {ServerCutoff:u} and {Runs} run(s) past retention, with their events",
                servers, serverCutoff, runs);
            if (db.Database.IsSqlite())
                await db.Database.ExecuteSqlRawAsync("VACUUM;", cancellationToken); // deleted pages go back to the file system
        }
        return (servers, runs);
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
                    logger.LogError(e, "Could not delete what is past retention");
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

/// <summary>Where each lab server keeps its files (its storage folder under the data folder).</summary>
public sealed class LabDirectories(string dataDirectory)
{
    public string DataDirectory => dataDirectory;

    public string ServerFolder(Guid id) => Path.Combine(dataDirectory, "servers", id.ToString());

    public void DeleteServerFolder(Guid id)
    {
        var folder = ServerFolder(id);
        if (Directory.Exists(folder))
            Directory.Delete(folder, recursive: true);
    }
}
