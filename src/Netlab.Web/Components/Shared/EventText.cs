using System.Globalization;
using Netlab.Labs.Core;

namespace Netlab.Web.Components.Shared;

/// <summary>One line of text for any event, for logs and generic event lists.</summary>
public static class EventText
{
    public static string Describe(LabEvent e) => e switch
    {
        RttSample { Outcome: RttOutcome.Timeout } r => $"seq {r.Sequence}: Request timed out",
        RttSample r => string.Create(CultureInfo.InvariantCulture, $"seq {r.Sequence}: {r.Outcome.ToString().ToLowerInvariant()} {r.Reply} {(r.RttMs is { } ms ? $"time={ms:F3} ms" : "")}").TrimEnd(),
        DatagramSeen d => $"{d.Remote} {d.Length} bytes {(d.Action == DatagramAction.Dropped ? "DROPPED (loss simulation)" : "echoed")}{(d.DelayMs is { } delay ? $" after {delay:F1} ms" : "")}: {d.Preview}",
        ServerStateChanged s => s.Reason is null ? $"server {s.State}" : $"server {s.State}: {s.Reason}",
        LogLine l => l.Severity == LogSeverity.Info ? l.Text : $"{l.Severity.ToString().ToLowerInvariant()}: {l.Text}",
        Summary s => string.Join(Environment.NewLine, s.Lines),
        _ => LabJson.Serialize(e),
    };

    /// <summary>A CSS class that colours the line by what happened.</summary>
    public static string CssClass(LabEvent e) => e switch
    {
        DatagramSeen { Action: DatagramAction.Dropped } => "dropped",
        DatagramSeen => "echoed",
        LogLine { Severity: not LogSeverity.Info } => "warning",
        ServerStateChanged { State: ServerState.Faulted } => "dropped",
        _ => "",
    };
}
