using System.Text.Json;
using Microsoft.AspNetCore.SignalR;
using Netlab.Data;
using Netlab.Labs.Core;
using Netlab.Web.Accounts;
using Netlab.Web.Runs;
using Netlab.Web.Servers;

namespace Netlab.Web.Hubs;

/// <summary>
/// /hubs/runs: follow runs and servers live from outside the portal.
/// <list type="bullet">
/// <item><c>JoinRun(id)</c>: joins the run's group; new events arrive as "events" (a batch, in
/// order; see <see cref="HubForwarder"/>), the end as "runEnded" (the run). <c>JoinServer(id)</c>:
/// "events" (a batch of server events).</item>
/// <item><c>StreamRun(id)</c>: a stream of every event of the run from the first, live until it ends.</item>
/// </list>
/// Events have the same JSON as GET /api/runs/{id}/events. A connection signs in like the API
/// (cookie, or a key as bearer token / access_token); it may follow only what its user may see.
/// </summary>
public sealed class RunsHub(RunStore runs, ServerStore servers) : Hub
{
    public static string RunGroup(Guid id) => $"run:{id}";

    public static string ServerGroup(Guid id) => $"server:{id}";

    private Viewer Viewer => Viewer.Of(Context.User!);

    public async Task JoinRun(Guid id)
    {
        try
        {
            await runs.GetAsync(id, Viewer, Context.ConnectionAborted);
        }
        catch (Hosting.ProblemException e)
        {
            throw new HubException(e.Message);
        }
        await Groups.AddToGroupAsync(Context.ConnectionId, RunGroup(id));
        // A run that ended before the join (or while joining) will never send runEnded to the
        // group again: tell the caller now, after joining, so it cannot miss the end either way.
        var run = await runs.GetAsync(id, Viewer, Context.ConnectionAborted);
        if (run.Status != RunStatus.Running)
            await Clients.Caller.SendAsync("runEnded", run, Context.ConnectionAborted);
    }

    public Task LeaveRun(Guid id) => Groups.RemoveFromGroupAsync(Context.ConnectionId, RunGroup(id));

    public async Task JoinServer(Guid id)
    {
        try
        {
            await servers.GetAsync(id, Viewer, Context.ConnectionAborted);
        }
        catch (Hosting.ProblemException e)
        {
            throw new HubException(e.Message);
        }
        await Groups.AddToGroupAsync(Context.ConnectionId, ServerGroup(id));
    }

    public Task LeaveServer(Guid id) => Groups.RemoveFromGroupAsync(Context.ConnectionId, ServerGroup(id));

    public async IAsyncEnumerable<JsonElement> StreamRun(Guid id, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        try
        {
            await runs.GetAsync(id, Viewer, cancellationToken);
        }
        catch (Hosting.ProblemException e)
        {
            throw new HubException(e.Message);
        }
        await foreach (var e in runs.FollowAsync(id, cancellationToken))
            yield return LabJson.ToElement(e);
    }
}
