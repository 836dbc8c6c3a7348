using Netlab.Labs.Core;

namespace Netlab.Labs.Heartbeat;

/// <summary>A heartbeat the client sent.</summary>
public sealed record HeartbeatSent(int Sequence) : LabEvent;

public enum HeartbeatArrival { InOrder, Reordered, Duplicate, Dropped }

/// <summary>
/// A heartbeat as the server saw it, with the client's counters after it. Dropped means the
/// server's loss simulation discarded it (it will show up as lost).
/// </summary>
public sealed record HeartbeatReceived(string Client, int Sequence, HeartbeatArrival Arrival, double? OneWayDelayMs,
    int Received, int Lost, int Duplicates, int Reordered, IReadOnlyList<int> NewlyMissing) : LabEvent;

public enum HeartbeatClientState { Stopped, Resumed }

/// <summary>The server declared a client stopped (silent too long) or resumed (after an outage of SilenceMs).</summary>
public sealed record HeartbeatGap(string Client, HeartbeatClientState State, double SilenceMs, int LastSequence) : LabEvent;
