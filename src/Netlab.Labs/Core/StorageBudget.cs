namespace Netlab.Labs.Core;

/// <summary>
/// A cap on what all lab servers together keep on disk (received mail, FTP uploads), on top of
/// each server's own quota: five students' mailboxes of 512 MB each would otherwise fill the
/// portal's disk. What is used is measured from the folder (so deletions, emptied mailboxes and
/// retention count) at most every <see cref="Remeasure"/>; writes in between are added as they
/// happen, so the check itself costs nothing per message.
/// </summary>
public sealed class StorageBudget(long limitBytes, Func<long> measure, TimeProvider? time = null)
{
    public static readonly TimeSpan Remeasure = TimeSpan.FromSeconds(10);

    private readonly TimeProvider clock = time ?? TimeProvider.System;
    private readonly Lock gate = new();
    private long used;
    private long measuredAt;
    private bool measured;

    public long LimitBytes => limitBytes;

    /// <summary>Bytes that may still be written by all servers together (0 when full).</summary>
    public long Room()
    {
        lock (gate)
        {
            if (!measured || clock.GetElapsedTime(measuredAt) >= Remeasure)
            {
                used = measure();
                measuredAt = clock.GetTimestamp();
                measured = true;
            }
            return Math.Max(0, limitBytes - used);
        }
    }

    /// <summary>Counts a write (or, negative, a deletion) until the next measurement.</summary>
    public void Add(long bytes)
    {
        lock (gate)
            used += bytes;
    }
}
