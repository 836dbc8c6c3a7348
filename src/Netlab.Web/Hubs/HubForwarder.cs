using System.Threading.Channels;
using Microsoft.AspNetCore.SignalR;

namespace Netlab.Web.Hubs;

/// <summary>
/// Sends one source's messages to its hub group in order, on a task of its own. A group send
/// waits for the slowest connection in the group, and a client that never reads would otherwise
/// hold up the event pump, and with it the run or the server itself. Once the source has ended,
/// what is still queued gets <see cref="Grace"/> to go out; after that the rest is dropped (and
/// logged), so a stalled client cannot keep a finished run's events in memory.
/// </summary>
public sealed class HubForwarder
{
    public static readonly TimeSpan Grace = TimeSpan.FromSeconds(60);

    private readonly Channel<(string Method, object? Argument)> queue = Channel.CreateUnbounded<(string, object?)>(new UnboundedChannelOptions { SingleReader = true });
    private readonly CancellationTokenSource giveUp = new();
    private readonly IClientProxy group;
    private readonly ILogger logger;
    private readonly string name;

    public HubForwarder(IClientProxy group, ILogger logger, string name)
    {
        (this.group, this.logger, this.name) = (group, logger, name);
        Completion = Task.Run(ForwardAsync);
    }

    /// <summary>Ends when everything queued was sent, or was dropped after the grace.</summary>
    public Task Completion { get; }

    public void Post(string method, object? argument) => queue.Writer.TryWrite((method, argument));

    /// <summary>Nothing more will be posted: send what is queued within the grace.</summary>
    public void Complete()
    {
        queue.Writer.TryComplete();
        try { giveUp.CancelAfter(Grace); } catch (ObjectDisposedException) { }
    }

    private async Task ForwardAsync()
    {
        try
        {
            await foreach (var (method, argument) in queue.Reader.ReadAllAsync())
                await group.SendAsync(method, argument, giveUp.Token);
        }
        catch (OperationCanceledException)
        {
            logger.LogWarning("A hub client of {Source} read too slowly; {Grace} s after the end, the messages still waiting were dropped",
                name, Grace.TotalSeconds);
        }
        catch (Exception e)
        {
            logger.LogError(e, "Forwarding the hub messages of {Source} failed", name);
        }
        finally
        {
            giveUp.Dispose();
        }
    }
}
