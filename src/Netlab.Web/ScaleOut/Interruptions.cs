using Microsoft.EntityFrameworkCore;
using Netlab.Data;

namespace Netlab.Web.ScaleOut;

/// <summary>
/// Marking the runs and servers of a process that died as Interrupted, keeping every event it
/// stored: at start-up (a previous process on the same SQLite folder, or instances of a shared
/// database whose lease has expired) and by the lease monitor while the portal runs.
/// </summary>
public static class Interruptions
{
    public sealed record Marked(IReadOnlyList<Guid> Runs, IReadOnlyList<Guid> Servers);

    /// <summary>
    /// Marks the running runs and servers whose instance is dead: with <paramref name="deadBefore"/>
    /// null, all of them (one process on a locked SQLite folder: nothing else can be running);
    /// otherwise those of no instance or of an instance whose lease was last renewed before it,
    /// never <paramref name="self"/>'s.
    /// </summary>
    public static async Task<Marked> MarkAsync(NetlabDbContext db, DateTime? deadBefore, string? self, CancellationToken cancellationToken)
    {
        var runs = db.Runs.Where(r => r.Status == RunStatus.Running);
        var servers = db.Servers.Where(s => s.StoppedAt == null);
        if (deadBefore is { } cutoff)
        {
            var live = db.Instances.Where(i => i.RenewedAt >= cutoff || i.Id == self).Select(i => i.Id);
            runs = runs.Where(r => r.InstanceId == null || !live.Contains(r.InstanceId));
            servers = servers.Where(s => s.InstanceId == null || !live.Contains(s.InstanceId));
        }
        // The ids first, for the relay's end markers (followers in other instances stop), then the same rows updated.
        var runIds = await runs.Select(r => r.Id).ToListAsync(cancellationToken);
        var serverIds = await servers.Select(s => s.Id).ToListAsync(cancellationToken);
        if (runIds.Count > 0)
            await db.Runs.Where(r => runIds.Contains(r.Id) && r.Status == RunStatus.Running)
                .ExecuteUpdateAsync(set => set
                    .SetProperty(r => r.Status, RunStatus.Interrupted)
                    .SetProperty(r => r.Error, r => r.InstanceId == null || deadBefore == null
                        ? "The portal stopped while this run was in progress."
                        : "The portal instance " + r.InstanceId + " stopped while this run was in progress (its lease expired).")
                    .SetProperty(r => r.EventCount, r => db.RunEvents.Count(e => e.RunId == r.Id)), cancellationToken);
        // Its end is unknown: the last event it stored is the closest there is.
        if (serverIds.Count > 0)
            await db.Servers.Where(s => serverIds.Contains(s.Id) && s.StoppedAt == null)
                .ExecuteUpdateAsync(set => set
                    .SetProperty(s => s.State, s => s.State == ServerStatus.Faulted ? ServerStatus.Faulted : ServerStatus.Interrupted)
                    .SetProperty(s => s.FaultReason, s => s.State == ServerStatus.Faulted ? s.FaultReason
                        : s.InstanceId == null || deadBefore == null ? "The portal stopped while this server was running."
                        : "The portal instance " + s.InstanceId + " stopped while this server was running (its lease expired).")
                    .SetProperty(s => s.EventCount, s => db.ServerEvents.LongCount(e => e.ServerId == s.Id))
                    .SetProperty(s => s.StoppedAt, s => db.ServerEvents.Where(e => e.ServerId == s.Id).Max(e => (DateTime?)e.Timestamp) ?? s.StartedAt), cancellationToken);
        // One process per database: every lease left is a killed predecessor's (the lease monitor deletes them otherwise).
        if (deadBefore is null)
            await db.Instances.ExecuteDeleteAsync(cancellationToken);
        return new Marked(runIds, serverIds);
    }
}
