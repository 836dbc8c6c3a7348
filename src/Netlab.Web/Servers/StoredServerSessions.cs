using Netlab.Labs.Core;
using Netlab.Web.Accounts;
using Netlab.Web.Hosting;

namespace Netlab.Web.Servers;

/// <summary>
/// Client graders' view of stored server sessions, through the same ownership rule as the API:
/// a run reads only servers its owner may see (their own, any for staff).
/// </summary>
public sealed class StoredServerSessions(ServerStore store, Viewer owner) : IServerSessions
{
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
        var events = new List<LabEvent>();
        await foreach (var e in store.FollowAsync(serverId, ServerEvents.All, cancellationToken, live: false))
            events.Add(e);
        return new ServerSession(server.Id, server.Lab, server.IsLive, events);
    }
}
