using Netlab.Labs.Core;
using Netlab.Web.Accounts;
using Netlab.Web.Hosting;

namespace Netlab.Web.Servers;

/// <summary>
/// Client graders' view of stored server sessions, through the same ownership rule as the API:
/// a run reads only servers its owner may see (their own, any for staff).
/// </summary>
public sealed class StoredServerSessions(ServerStore store, ServerManager manager, Viewer owner, TimeProvider time) : IServerSessions
{
    /// <summary>How long to wait for the pump; events dropped under load never arrive, so the wait is bounded.</summary>
    private static readonly TimeSpan CatchUp = TimeSpan.FromSeconds(3);

    public async Task<ServerSession?> ReadAsync(Guid serverId, CancellationToken cancellationToken)
    {
        ServerDto server;
        try
        {
            server = await store.GetAsync(serverId, owner, cancellationToken);
        }
        catch (ProblemException e) when (e.Status == StatusCodes.Status404NotFound)
        {
            return null;
        }
        // A running server's last events may still be on their way through the pump (a student
        // submits right after their client ends): read until the events written so far are there.
        var written = manager.TryInstance(serverId)?.Events.LastSeq ?? 0;
        var started = time.GetTimestamp();
        while (true)
        {
            var events = new List<LabEvent>();
            await foreach (var e in store.FollowAsync(serverId, ServerEvents.All, cancellationToken, live: false))
                events.Add(e);
            if ((events.Count > 0 ? events[^1].Seq : 0) >= written || time.GetElapsedTime(started) > CatchUp)
                return new ServerSession(server.Id, server.Lab, server.IsLive, events);
            await Task.Delay(TimeSpan.FromMilliseconds(20), time, cancellationToken);
        }
    }
}
