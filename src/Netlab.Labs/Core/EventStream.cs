using System.Threading.Channels;

namespace Netlab.Labs.Core;

/// <summary>Where servers and probes report what they see. They never print.</summary>
public interface IEventSink
{
    void Emit(LabEvent e);
}

/// <summary>
/// The event channel of one source (a run or a server). Stamps each event with the source id, a
/// gap-free sequence number and a timestamp, in the order they are emitted, from any thread.
/// A bounded stream (for servers under load) drops what its reader cannot keep up with rather
/// than slow the server down, and counts the drops.
/// </summary>
public sealed class EventStream : IEventSink
{
    private readonly Channel<LabEvent> channel;
    private readonly TimeProvider time;
    private readonly Lock gate = new();
    private long seq;
    private long dropped;

    public EventStream(string sourceId, int? capacity = null, TimeProvider? time = null)
    {
        SourceId = sourceId;
        this.time = time ?? TimeProvider.System;
        channel = capacity is { } c
            ? Channel.CreateBounded<LabEvent>(new BoundedChannelOptions(c) { FullMode = BoundedChannelFullMode.Wait, SingleReader = true })
            : Channel.CreateUnbounded<LabEvent>(new UnboundedChannelOptions { SingleReader = true });
    }

    public string SourceId { get; }

    public ChannelReader<LabEvent> Reader => channel.Reader;

    /// <summary>Events a bounded stream had to drop because its reader fell behind.</summary>
    public long Dropped => Interlocked.Read(ref dropped);

    /// <summary>The sequence number of the last event written (so a reader can tell when it has caught up).</summary>
    public long LastSeq => Interlocked.Read(ref seq);

    public void Emit(LabEvent e)
    {
        // Stamp and write under one lock so sequence numbers reach the reader in order.
        lock (gate)
        {
            var stamped = e with { SourceId = SourceId, Seq = seq + 1, Timestamp = time.GetUtcNow() };
            if (channel.Writer.TryWrite(stamped))
                seq++;
            else
                dropped++;
        }
    }

    public void Complete() => channel.Writer.TryComplete();
}
