using Netlab.Labs.Core;

namespace Netlab.Labs.Heartbeat;

/// <summary>
/// What the server knows of one client: which sequence numbers came, which are missing (gaps:
/// one-way loss), which came twice or late (duplicates and reordering are counted, never
/// mistaken for loss), when it was last heard, and whether it is considered stopped.
/// </summary>
/// <param name="time">The clock whose timestamps <see cref="Heard"/> and <see cref="CheckSilence"/> are given; null = the system's.</param>
public sealed class HeartbeatTracker(string client, TimeProvider? time = null)
{
    /// <summary>A jump bigger than this is a new run of the client (or a forged number), not that many losses.</summary>
    private const int MaxGap = 1_000;
    /// <summary>Missing numbers remembered at most; the oldest are forgotten first (they still count as lost).</summary>
    private const int MaxMissing = 10_000;

    private readonly TimeProvider time = time ?? TimeProvider.System;
    private int forgotten;

    private readonly SortedSet<int> missing = [];

    public string Client { get; } = client;
    public int Highest { get; private set; }
    public int Received { get; private set; }
    public int Duplicates { get; private set; }
    public int Reordered { get; private set; }
    public int Outages { get; private set; }
    public long LastHeard { get; private set; }
    public double? LastDelayMs { get; private set; }
    public bool Stopped { get; private set; }
    public int Lost => missing.Count + forgotten;
    public IReadOnlyCollection<int> Missing => missing;

    public (HeartbeatArrival Arrival, List<int> NewlyMissing) Observe(int sequence, double? oneWayDelayMs)
    {
        LastDelayMs = oneWayDelayMs ?? LastDelayMs;
        var newlyMissing = new List<int>();
        if (sequence > Highest)
        {
            if (sequence - Highest - 1 <= MaxGap)
                for (var s = Highest + 1; s < sequence; s++)
                    if (missing.Add(s)) newlyMissing.Add(s);
            while (missing.Count > MaxMissing)
            {
                missing.Remove(missing.Min);
                forgotten++;
            }
            Highest = sequence;
            Received++;
            return (HeartbeatArrival.InOrder, newlyMissing);
        }
        if (missing.Remove(sequence))
        {
            Received++;
            Reordered++;
            return (HeartbeatArrival.Reordered, newlyMissing);
        }
        Duplicates++;
        return (HeartbeatArrival.Duplicate, newlyMissing);
    }

    /// <summary>Notes the time of a datagram (a timestamp of the tracker's clock); returns the silence it ends when the client had been declared stopped.</summary>
    public double? Heard(long timestamp)
    {
        double? outage = null;
        if (Stopped)
        {
            outage = time.GetElapsedTime(LastHeard, timestamp).TotalMilliseconds;
            Stopped = false;
        }
        LastHeard = timestamp;
        return outage;
    }

    /// <summary>True once, when the client has been silent for longer than the limit.</summary>
    public bool CheckSilence(long now, TimeSpan limit)
    {
        if (Stopped || LastHeard == 0 || time.GetElapsedTime(LastHeard, now) <= limit)
            return false;
        Stopped = true;
        Outages++;
        return true;
    }
}
