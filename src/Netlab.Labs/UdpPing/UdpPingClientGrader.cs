using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Text.RegularExpressions;
using Netlab.Labs.Core;

namespace Netlab.Labs.UdpPing;

public sealed record UdpPingClientGraderOptions
{
    [Display(AutoGenerateField = false), Description("The Netlab UDP ping server the student's client talked to (set by the assignment).")]
    public string? ServerId { get; init; }

    [Range(1, 1000), Description("Pings the client must send (the handout: 10).")]
    public int Pings { get; init; } = 10;

    [Range(50, 60_000), Description("The client's reply timeout the handout asks for, in ms (1000).")]
    public int TimeoutMs { get; init; } = 1000;
}

/// <summary>
/// Grades a student's UDP ping client from what the Netlab server they pointed it at stored
/// (<see cref="DatagramSeen"/> events): the latest client's datagrams (its address and port), their
/// count, format, sequence and time, and that after a dropped ping the next one came after about
/// the timeout. Nothing is sent, so nothing can hang; reading the session has a time limit anyway.
/// </summary>
public sealed partial class UdpPingClientGrader(UdpPingClientGraderOptions options, LabEnvironment environment) : IProbe
{
    [GeneratedRegex(@"^(?<word>\S+) (?<seq>-?\d+) (?<time>.+)$")]
    private static partial Regex Shape();

    public async Task RunAsync(ProbeTarget target, IEventSink events, CancellationToken cancellationToken)
    {
        var session = await GradedSession.ReadAsync(environment, options.ServerId, UdpPingLab.Definition.Id, "UDP ping server", cancellationToken);

        var all = session.Events.OfType<DatagramSeen>().ToList();
        var checks = new CheckRunner(events, environment.Time);
        if (all.Count == 0)
        {
            const string none = "the server received no datagram: run your client against this server's port, then submit";
            checks.Record($"{options.Pings} pings", 2, $"{options.Pings} datagrams", false, none);
            checks.Record("Format", 2, "Ping <seq> <time>", false, none);
            checks.Record("Sequence", 2, $"1..{options.Pings} in order", false, none);
            checks.Record("Time", 1, "a plausible send time", false, none);
            checks.Record("Timeout after a loss", 2, $"the next ping about {options.TimeoutMs} ms after a dropped one", false, none);
            checks.Finish();
            return;
        }
        // The latest client: its socket's address and port; earlier runs of the client are other remotes.
        var remote = all[^1].Remote;
        var pings = all.Where(d => d.Remote == remote).ToList();
        events.Emit(new LogLine(LogSeverity.Info, $"Grading the {pings.Count} datagrams the server got from {remote} (of {all.Count} in all)."));

        checks.Record($"{options.Pings} pings", 2, $"exactly {options.Pings} datagrams from your client", pings.Count == options.Pings,
            pings.Count == options.Pings ? $"{pings.Count} datagrams"
            : pings.Count < options.Pings ? $"{pings.Count} datagrams; after ping {pings.Count} none came: does your client stop waiting after a timeout (settimeout) and go on?"
            : $"{pings.Count} datagrams, more than {options.Pings}");

        var shapes = pings.Select(p => Shape().Match(p.Preview)).ToList();
        var badFormat = pings.Zip(shapes).FirstOrDefault(x => !x.Second.Success || x.Second.Groups["word"].Value != "Ping");
        checks.Record("Format", 2, "each datagram is \"Ping <seq> <time>\"", badFormat == default,
            badFormat == default ? $"e.g. \"{pings[0].Preview}\""
            : badFormat.Second.Success && badFormat.Second.Groups["word"].Value.Equals("ping", StringComparison.OrdinalIgnoreCase)
                ? $"sent \"{badFormat.First.Preview}\": the handout's format is \"Ping <seq> <time>\" with a capital P"
                : $"sent \"{badFormat.First.Preview}\": expected \"Ping <seq> <time>\", three fields separated by single spaces");

        var seqs = shapes.Select(m => m.Success && int.TryParse(m.Groups["seq"].Value, CultureInfo.InvariantCulture, out var s) ? s : (int?)null).ToList();
        var inOrder = seqs.Select((s, i) => s == i + 1).All(ok => ok);
        checks.Record("Sequence", 2, "sequence numbers 1, 2, 3, ... in order", inOrder,
            inOrder ? $"1..{seqs.Count}" : $"sent {string.Join(", ", seqs.Select(s => s?.ToString(CultureInfo.InvariantCulture) ?? "?"))}: the first ping is 1 and each next one adds 1");

        var badTime = pings.Zip(shapes).FirstOrDefault(x => !x.Second.Success || !PlausibleTime(x.Second.Groups["time"].Value, x.First.Timestamp));
        checks.Record("Time", 1, "the time the ping was sent (time.time(), or a date)", badTime == default,
            badTime == default ? $"e.g. {shapes[0].Groups["time"].Value}" : $"\"{badTime.First.Preview}\": the last field should be when the ping was sent, e.g. time.time()");

        checks.Record("Timeout after a loss", 2, $"after a dropped ping, the next one about {options.TimeoutMs} ms later (not at once, not never)",
            TimeoutBehaviour(pings, out var why), why);
        checks.Finish();
    }

    /// <summary>Seconds (or milliseconds) since the epoch within a day of when the server got it, or a date/time text.</summary>
    private static bool PlausibleTime(string text, DateTimeOffset received)
    {
        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var number))
        {
            var at = received.ToUnixTimeMilliseconds() / 1000.0;
            return Math.Abs(number - at) < 86_400 || Math.Abs(number / 1000 - at) < 86_400;
        }
        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AllowWhiteSpaces, out _);
    }

    private bool TimeoutBehaviour(IReadOnlyList<DatagramSeen> pings, out string why)
    {
        var timeout = TimeSpan.FromMilliseconds(options.TimeoutMs);
        var gaps = new List<double>();
        for (var i = 0; i < pings.Count; i++)
        {
            if (pings[i].Action != DatagramAction.Dropped)
                continue;
            if (i == pings.Count - 1)
            {
                if (pings.Count >= options.Pings)
                    continue; // the last ping's loss needs no next ping
                why = $"ping {i + 1} was dropped and no next ping came: without a timeout, recvfrom() waits forever (clientSocket.settimeout(1))";
                return false;
            }
            var gap = pings[i + 1].Timestamp - pings[i].Timestamp;
            gaps.Add(gap.TotalMilliseconds);
            if (gap < timeout * 0.8)
            {
                why = $"ping {i + 2} came {gap.TotalMilliseconds:0} ms after the dropped ping {i + 1}: wait about {options.TimeoutMs} ms for a reply before giving up";
                return false;
            }
            if (gap > timeout * 3 + TimeSpan.FromSeconds(1))
            {
                why = $"ping {i + 2} came {gap.TotalSeconds:0.0} s after the dropped ping {i + 1}: the timeout should be about {options.TimeoutMs} ms";
                return false;
            }
        }
        why = gaps.Count == 0
            ? "no ping was dropped in this session, so the timeout could not be seen: run your client again (the server drops about 30%) and resubmit"
            : $"after each dropped ping the next came {string.Join(", ", gaps.Select(g => $"{g:0} ms"))} later";
        return gaps.Count > 0;
    }
}
