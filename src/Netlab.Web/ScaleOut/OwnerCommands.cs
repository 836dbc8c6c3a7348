using Microsoft.EntityFrameworkCore;
using Netlab.Data;
using Netlab.Web.Hosting;
using Netlab.Web.Runs;
using Netlab.Web.Servers;

namespace Netlab.Web.ScaleOut;

/// <summary>
/// Acting on a live run or server wherever it lives: here directly, in another instance by a
/// command over Redis (<see cref="IInstanceCommands"/>) that the owner carries out with the same
/// code. Pages use the typed commands; the API relays whole requests (<see cref="OwnerForwarding"/>).
/// </summary>
public sealed class OwnerCommands(ServerManager servers, RunCoordinator runs, IInstanceCommands commands, PortalInstance self,
    IDbContextFactory<NetlabDbContext> contexts, ForwardedRequests forwarded) : IOwnerCommandHandler
{
    /// <summary>The other instance a running run lives in; null when it runs here, has ended, or there is one instance.</summary>
    public async Task<string?> RemoteOwnerAsync(FeedSource source, Guid id, CancellationToken cancellationToken)
    {
        if (self.Redis is null)
            return null;
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var instance = source == FeedSource.Run
            ? runs.FindLive(id) is not null ? null : await db.Runs.Where(r => r.Id == id && r.Status == RunStatus.Running).Select(r => r.InstanceId).FirstOrDefaultAsync(cancellationToken)
            : servers.TryGet(id) is not null ? null : await db.Servers.Where(s => s.Id == id && s.StoppedAt == null).Select(s => s.InstanceId).FirstOrDefaultAsync(cancellationToken);
        return instance is not null && instance != self.Id ? instance : null;
    }

    /// <summary>Cancels a running run here or in its instance; false when it is not running.</summary>
    public async Task<bool> CancelRunAsync(Guid id, CancellationToken cancellationToken = default)
    {
        if (runs.Cancel(id))
            return true;
        if (await RemoteOwnerAsync(FeedSource.Run, id, cancellationToken) is not { } owner)
            return false;
        return (await commands.SendAsync(owner, "cancel-run", id.ToString(), cancellationToken)).Status < 400;
    }

    /// <summary>Stops a running server here or in its instance (404/409 as <see cref="ServerManager.StopAsync(Guid)"/>).</summary>
    public async Task StopServerAsync(Guid id, CancellationToken cancellationToken = default)
    {
        if (await RemoteOwnerAsync(FeedSource.Server, id, cancellationToken) is { } owner)
            (await commands.SendAsync(owner, "stop-server", id.ToString(), cancellationToken)).ThrowIfProblem();
        else
            await servers.StopAsync(id);
    }

    /// <summary>The owner's side: carries out a command another instance sent.</summary>
    public async Task<CommandReply> ExecuteAsync(string kind, string payload, CancellationToken cancellationToken)
    {
        switch (kind)
        {
            case ForwardedRequests.Kind:
                return await forwarded.ExecuteAsync(payload, cancellationToken);
            case "cancel-run":
                return runs.Cancel(Guid.Parse(payload)) ? CommandReply.Ok()
                    : CommandReply.Problem(new ProblemException(StatusCodes.Status409Conflict, "Run not running", $"Run {payload} is not running."));
            case "stop-server":
                await servers.StopAsync(Guid.Parse(payload));
                return CommandReply.Ok();
            default:
                throw ProblemException.BadRequest($"Unknown command '{kind}' (is every instance running the same version?).");
        }
    }
}
