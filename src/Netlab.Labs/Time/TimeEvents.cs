using Netlab.Labs.Core;

namespace Netlab.Labs.Time;

/// <summary>A command a time server received, from whom, and what it answered (the ISO time, or null for an error).</summary>
public sealed record TimeRequestSeen(string Client, string Command, string? Answer) : LabEvent;

/// <summary>
/// One <c>reqtime</c> of the time-sync probe: the server's time, the round trip, and Cristian's
/// estimate of the offset (server − local, ms) with its error bound ±RTT/2; or why there is none.
/// </summary>
public sealed record TimeEstimate(int Sequence, string? ServerTime, double? RttMs, double? OffsetMs, double? ErrorMs, string? Error) : LabEvent;
