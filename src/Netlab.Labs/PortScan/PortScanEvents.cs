using Netlab.Labs.Core;

namespace Netlab.Labs.PortScan;

/// <summary>What a TCP connect said about a port: accepted, refused (RST), or nothing before the timeout.</summary>
public enum PortState { Open, Closed, Filtered }

/// <summary>One scanned port: its state, its well-known service name if any, and how long the answer took (ms; null when filtered).</summary>
public sealed record PortResult(int Port, PortState State, string? Service, double? Ms) : LabEvent;
