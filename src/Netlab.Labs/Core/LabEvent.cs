using System.Text.Json.Serialization;

namespace Netlab.Labs.Core;

/// <summary>
/// One thing a server or probe saw. The UI, the REST API, the SignalR hub, the run store and the
/// tests all consume these same records; <see cref="EventStream"/> stamps the envelope fields.
/// The "kind" discriminator is the wire name used in JSON everywhere (API, hub, SQLite).
/// </summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "kind")]
[JsonDerivedType(typeof(RttSample), "rttSample")]
[JsonDerivedType(typeof(DatagramSeen), "datagramSeen")]
[JsonDerivedType(typeof(ServerStateChanged), "serverStateChanged")]
[JsonDerivedType(typeof(LogLine), "logLine")]
[JsonDerivedType(typeof(Summary), "summary")]
public abstract record LabEvent
{
    /// <summary>The run id (for probe events) or server id (for server events).</summary>
    public string SourceId { get; init; } = "";

    /// <summary>1, 2, 3, ... per source, in emission order.</summary>
    public long Seq { get; init; }

    public DateTimeOffset Timestamp { get; init; }
}

public enum RttOutcome
{
    /// <summary>The reply to the ping being waited for arrived in time.</summary>
    Reply,
    /// <summary>No reply within the timeout.</summary>
    Timeout,
    /// <summary>A reply to an earlier ping that had already timed out.</summary>
    Late,
    /// <summary>A second reply to a ping that was already answered.</summary>
    Duplicate,
    /// <summary>The target's host answered with an ICMP error (e.g. port unreachable).</summary>
    Unreachable,
}

/// <summary>One ping's fate: RTT in milliseconds (microsecond resolution) or why there is none.</summary>
public sealed record RttSample(int Sequence, RttOutcome Outcome, double? RttMs, string? Reply, string? From) : LabEvent;

public enum DatagramAction { Echoed, Dropped }

/// <summary>A datagram a server received, who sent it, and what the server did with it.</summary>
public sealed record DatagramSeen(string Remote, int Length, DatagramAction Action, string Preview, double? DelayMs) : LabEvent;

public sealed record ServerStateChanged(ServerState State, string? Reason) : LabEvent;

public enum LogSeverity { Info, Warning, Error }

public sealed record LogLine(LogSeverity Severity, string Text) : LabEvent;

/// <summary>
/// The result of a run: human-readable lines (e.g. iputils' statistics block) and named values a
/// script or a grader reads (e.g. <c>lossPercent</c>). Null values mean "not measured".
/// </summary>
public sealed record Summary(IReadOnlyList<string> Lines, IReadOnlyDictionary<string, double?> Values) : LabEvent;
