using System.Threading.Channels;
using Netlab.Labs.Core;
using Netlab.Web.Runs;

namespace Netlab.Web.ScaleOut;

/// <summary>What a relayed feed belongs to.</summary>
public enum FeedSource { Run, Server }

/// <summary>
/// Carries a run's or a server's live events from the instance that owns it to followers on the
/// other instances. The owner publishes each batch after storing it, then an end marker once its
/// end is stored; a follower subscribes first and reads the store second (<see cref="RemoteFollow"/>).
/// One process has nothing to relay: <see cref="NoEventRelay"/>.
/// </summary>
public interface IEventRelay
{
    /// <summary>False in a single process: every live run and server is in this one.</summary>
    bool Enabled { get; }

    Task PublishAsync(FeedSource source, Guid id, IReadOnlyList<StoredEvent> batch);

    /// <summary>The source ended (its end is stored) or its owner died: followers stop.</summary>
    Task EndAsync(FeedSource source, Guid id);

    /// <summary>Starts receiving what is published from now on; dispose to stop.</summary>
    Task<RemoteFeed> SubscribeAsync(FeedSource source, Guid id, CancellationToken cancellationToken);
}

/// <summary>
/// Events published for one source since the subscription, at most <see cref="EventFeed.MaxBacklog"/>
/// unread (past that the reader ends with <see cref="SlowFollowerException"/>, as a local follower would).
/// Completes at the end marker.
/// </summary>
public sealed class RemoteFeed(ChannelReader<LabEvent> live, Task relaying, Func<ValueTask> stop) : IAsyncDisposable
{
    public ChannelReader<LabEvent> Live { get; } = live;

    /// <summary>Ends when nothing more will be added to <see cref="Live"/> (the end marker, a cut-off, or disposal).</summary>
    public Task Relaying { get; } = relaying;

    public ValueTask DisposeAsync() => stop();
}

/// <summary>The single-process relay: nothing to publish to, nothing to follow remotely.</summary>
public sealed class NoEventRelay : IEventRelay
{
    public bool Enabled => false;

    public Task PublishAsync(FeedSource source, Guid id, IReadOnlyList<StoredEvent> batch) => Task.CompletedTask;

    public Task EndAsync(FeedSource source, Guid id) => Task.CompletedTask;

    public Task<RemoteFeed> SubscribeAsync(FeedSource source, Guid id, CancellationToken cancellationToken) =>
        throw new InvalidOperationException("One portal process relays nothing; its live runs and servers are all local.");
}
