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

    public async IAsyncEnumerable<LabEvent> FollowAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        LabEvent[] snapshot;
        Channel<LabEvent>? channel = null;
        lock (gate)
        {
            snapshot = [.. events];
            if (!completed)
            {
                channel = Channel.CreateUnbounded<LabEvent>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
                followers.Add(channel);
            }
        }
        try
        {
            foreach (var e in snapshot)
                yield return e;
            if (channel is null)
                yield break;
            await foreach (var e in channel.Reader.ReadAllAsync(cancellationToken))
                yield return e;
        }
        finally
        {
            if (channel is not null)
                lock (gate)
                    followers.Remove(channel);
        }
    }
}
