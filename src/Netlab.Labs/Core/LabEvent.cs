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
[JsonDerivedType(typeof(TranscriptLine), "transcriptLine")]
[JsonDerivedType(typeof(AccessLogEntry), "accessLogEntry")]
[JsonDerivedType(typeof(HttpResponseView), "httpResponseView")]
[JsonDerivedType(typeof(Check), "check")]
[JsonDerivedType(typeof(HexMessage), "hexMessage")]
[JsonDerivedType(typeof(DnsQueryLogged), "dnsQueryLogged")]
[JsonDerivedType(typeof(TracerouteHop), "tracerouteHop")]
[JsonDerivedType(typeof(HeartbeatSent), "heartbeatSent")]
[JsonDerivedType(typeof(HeartbeatReceived), "heartbeatReceived")]
[JsonDerivedType(typeof(HeartbeatGap), "heartbeatGap")]
[JsonDerivedType(typeof(MailAccepted), "mailAccepted")]
[JsonDerivedType(typeof(SmtpSessionClosed), "smtpSessionClosed")]
[JsonDerivedType(typeof(FtpTransfer), "ftpTransfer")]
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

/// <summary>One request a server answered, like a line of an access log.</summary>
public sealed record AccessLogEntry(string Client, string Method, string Target, int Status, long Bytes, double DurationMs) : LabEvent;

/// <summary>
/// A response as a client received it: status, headers, and the body (text as is when it is text,
/// else base64), cut at <c>BodyPreviewLimit</c> bytes, with the timings of the exchange.
/// </summary>
public sealed record HttpResponseView(
    int Status, string Reason, string Version, IReadOnlyList<KeyValuePair<string, string>> Headers,
    string? ContentType, long BodyBytes, bool BodyIsText, string BodyPreview, bool BodyTruncated,
    double ConnectMs, double FirstByteMs, double TotalMs) : LabEvent;

/// <summary>One graded check: what was expected, what came back, and the points it earns.</summary>
public sealed record Check(string Name, bool Passed, double Points, double MaxPoints, string Expected, string Actual) : LabEvent;

/// <summary>One named range of a message's bytes, e.g. ID at 0..2 with its decoded value.</summary>
public sealed record HexField(string Name, int Offset, int Length, string Value, string Group);

/// <summary>A message on the wire with its fields labelled, for a colour-coded hex dump.</summary>
public sealed record HexMessage(string Label, byte[] Bytes, IReadOnlyList<HexField> Fields) : LabEvent;

/// <summary>A query a DNS server answered: who asked, over what, for what, and the response code.</summary>
public sealed record DnsQueryLogged(string Client, string Transport, int Id, string Name, string Type, string ResponseCode, int ResponseBytes, string? Error) : LabEvent;

/// <summary>One hop of a traceroute: who answered each probe (null = no answer) and how fast.</summary>
public sealed record TracerouteHop(int Hop, IReadOnlyList<string?> Addresses, IReadOnlyList<double?> RttsMs, bool Reached) : LabEvent;

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

/// <summary>A message an SMTP server accepted into its mailbox.</summary>
public sealed record MailAccepted(string MessageId, string Session, string From, IReadOnlyList<string> To, string? Subject, long Size) : LabEvent;

/// <summary>
/// How an SMTP session ended: who it was, what it achieved and the mistakes the server noticed
/// (bare LF, commands before the greeting, no final "." line, no QUIT).
/// </summary>
public sealed record SmtpSessionClosed(string Session, string Client, string Outcome, int Messages, bool Tls, string? User, IReadOnlyList<string> Warnings) : LabEvent;

/// <summary>
/// One FTP data connection, as the server or the client saw it: whose session, active (PORT/EPRT)
/// or passive (PASV/EPSV), what went over it, how much and how fast, and whether it completed
/// (Error says why not: connect failed, aborted, the peer vanished, timed out).
/// </summary>
public sealed record FtpTransfer(string Session, string Mode, string Direction, string Path, long Bytes, double DurationMs,
    double BytesPerSecond, bool Completed, string? Error) : LabEvent;
