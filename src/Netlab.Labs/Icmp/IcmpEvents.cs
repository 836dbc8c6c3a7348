using Netlab.Labs.Core;

namespace Netlab.Labs.Icmp;

/// <summary>One hop of a traceroute: who answered each probe (null = no answer) and how fast.</summary>
public sealed record TracerouteHop(int Hop, IReadOnlyList<string?> Addresses, IReadOnlyList<double?> RttsMs, bool Reached) : LabEvent;
