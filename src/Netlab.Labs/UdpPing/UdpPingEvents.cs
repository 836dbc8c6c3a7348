using Netlab.Labs.Core;

namespace Netlab.Labs.UdpPing;

public enum DatagramAction { Echoed, Dropped }

/// <summary>A datagram a server received, who sent it, and what the server did with it.</summary>
public sealed record DatagramSeen(string Remote, int Length, DatagramAction Action, string Preview, double? DelayMs) : LabEvent;
