using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Netlab.Labs.Core;

namespace Netlab.Web.Runs;

/// <summary>
/// The live side of one event source (a run or a server): keeps the events published so far
/// (all of them for a run, the most recent ones for a server) and lets any number of followers
/// read "everything so far, then each new event as it comes" with no gap and no duplicate.
/// Blazor components, the SSE endpoint and the hub's stream all follow through here.
/// </summary>
public sealed class EventFeed(int? retain = null)
{
    private readonly Lock gate = new();
    private readonly LinkedList<LabEvent> events = new();
    private readonly List<Channel<LabEvent>> followers = [];
    private bool completed;

    /// <summary>The events kept so far.</summary>
    public IReadOnlyList<LabEvent> Snapshot()
    {
        lock (gate)
            return [.. events];
    }

    public void Publish(IReadOnlyList<LabEvent> batch)
    {
        lock (gate)
        {
            foreach (var e in batch)
            {
                events.AddLast(e);
                if (retain is { } max && events.Count > max)
                    events.RemoveFirst();
                foreach (var follower in followers)
                    follower.Writer.TryWrite(e);
            }
        }
    }

    public void Complete()
    {
        lock (gate)
        {
            completed = true;
            foreach (var follower in followers)
                follower.Writer.TryComplete();
            followers.Clear();
        }
    }

    /// <summary>
    /// Starts following now: the events kept so far, and a reader of every later one (null when
    /// the feed has completed). Dispose to stop. For a caller that reads something else (the
    /// store) between taking the snapshot and reading on.
    /// </summary>
    public Follower Subscribe()
    {
        lock (gate)
        {
            LabEvent[] snapshot = [.. events];
            if (completed)
                return new Follower(this, snapshot, null);
            var channel = Channel.CreateUnbounded<LabEvent>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
            followers.Add(channel);
            return new Follower(this, snapshot, channel);
        }
    }

    public async IAsyncEnumerable<LabEvent> FollowAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        using var follower = Subscribe();
        foreach (var e in follower.Snapshot)
            yield return e;
        if (follower.Live is null)
            yield break;
        await foreach (var e in follower.Live.ReadAllAsync(cancellationToken))
            yield return e;
    }

    public sealed class Follower : IDisposable
    {
        private readonly EventFeed feed;
        private readonly Channel<LabEvent>? channel;

        internal Follower(EventFeed feed, IReadOnlyList<LabEvent> snapshot, Channel<LabEvent>? channel)
        {
            this.feed = feed;
            this.channel = channel;
            Snapshot = snapshot;
        }

        public IReadOnlyList<LabEvent> Snapshot { get; }

        public ChannelReader<LabEvent>? Live => channel?.Reader;

        public void Dispose()
        {
            if (channel is not null)
                lock (feed.gate)
                    feed.followers.Remove(channel);
        }
    }
}
