namespace Netlab.Labs.Core;

/// <summary>
/// One thing a server or probe saw. The UI, the REST API, the SignalR hub, the run store and the
/// tests all consume these same records; <see cref="EventStream"/> stamps the envelope fields.
/// The "kind" discriminator is the wire name used in JSON everywhere (API, hub, SQLite); the
/// shared kinds are listed in <see cref="EventKind.Shared"/>, each lab's in its definition, and
/// <see cref="LabJson"/> builds the polymorphism from those lists.
/// </summary>
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

public sealed record ServerStateChanged(ServerState State, string? Reason) : LabEvent;

public enum LogSeverity { Info, Warning, Error }

public sealed record LogLine(LogSeverity Severity, string Text) : LabEvent;

/// <summary>
/// The result of a run: human-readable lines (e.g. iputils' statistics block) and named values a
/// script or a grader reads (e.g. <c>lossPercent</c>). Null values mean "not measured".
/// </summary>
public sealed record Summary(IReadOnlyList<string> Lines, IReadOnlyDictionary<string, double?> Values) : LabEvent;

public enum TranscriptDirection
{
    /// <summary>Sent by the client (curl -v shows it as "> ").</summary>
    ClientToServer,
    /// <summary>Sent by the server ("< ").</summary>
    ServerToClient,
    /// <summary>Something about the connection itself (connected, closed, TLS on).</summary>
    Info,
}

public enum TranscriptChannel { Control, Data }

/// <summary>
/// One line of a protocol dialogue, with who sent it and on which connection; Secure once the
/// connection runs over TLS (swaks shows those lines as "~>" and "<~").
/// </summary>
public sealed record TranscriptLine(TranscriptDirection Direction, TranscriptChannel Channel, string Text, string? Connection = null, bool Secure = false) : LabEvent;

/// <summary>One graded check: what was expected, what came back, and the points it earns.</summary>
public sealed record Check(string Name, bool Passed, double Points, double MaxPoints, string Expected, string Actual) : LabEvent;

/// <summary>One named range of a message's bytes, e.g. ID at 0..2 with its decoded value.</summary>
public sealed record HexField(string Name, int Offset, int Length, string Value, string Group);

/// <summary>A message on the wire with its fields labelled, for a colour-coded hex dump.</summary>
public sealed record HexMessage(string Label, byte[] Bytes, IReadOnlyList<HexField> Fields) : LabEvent;