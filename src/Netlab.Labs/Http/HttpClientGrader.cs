using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Text.RegularExpressions;
using Netlab.Labs.Core;

namespace Netlab.Labs.Http;

public sealed record HttpClientGraderOptions
{
    [Display(AutoGenerateField = false), Description("The Netlab web server the student's client talked to (set by the assignment; start it with transcript on).")]
    public string? ServerId { get; init; }
}

/// <summary>
/// Grades a student's web client (handout 000, assignment 1, optional exercise) from the first
/// request of the latest connection the Netlab web server it talked to transcribed: a request
/// line "GET &lt;path&gt; HTTP/1.x" (RFC 9112 section 3), well-formed headers with Host for HTTP/1.1
/// (section 3.2), CRLF line ends (section 2.1), and a file actually fetched (200). Nothing is sent.
/// </summary>
public sealed partial class HttpClientGrader(HttpClientGraderOptions options, LabEnvironment environment) : IProbe
{
    [GeneratedRegex(@"^(?<method>[!-~]+) (?<target>[!-~]+) (?<version>HTTP/\d\.\d)$")]
    private static partial Regex RequestLine();

    public async Task RunAsync(ProbeTarget target, IEventSink events, CancellationToken cancellationToken)
    {
        var session = await GradedSession.ReadAsync(environment, options.ServerId, HttpLab.Definition.Id, "web server", cancellationToken);

        var checks = new CheckRunner(events, environment.Time);
        var plan = new (string Name, double Points, string Expected)[]
        {
            ("Request line", 2, "\"GET <path> HTTP/1.1\" (or HTTP/1.0): the method in capitals, a path starting with /, the version"),
            ("Headers", 1, "header lines \"Name: value\", and a Host header with HTTP/1.1"),
            ("CRLF line ends", 2, "every line of the request ends in \\r\\n, and an empty line ends the head"),
            ("File fetched", 1, "the server answered 200"),
        };
        var transcript = session.Events.OfType<TranscriptLine>().ToList();
        var latest = transcript.LastOrDefault(l => l.Direction == TranscriptDirection.ClientToServer)?.Connection;
        if (latest is null)
        {
            var why = session.Events.OfType<AccessLogEntry>().Any()
                ? "the server answered requests but kept no transcript of them: the assignment's server must be started with transcript on (serverOptions {\"transcript\": true})"
                : "the server received no request: run your client against this server's port, then submit";
            foreach (var (name, points, expected) in plan)
                checks.Record(name, points, expected, false, why);
            checks.Finish();
            return;
        }
        // The first request on that connection: its lines up to the server's first response line.
        var lines = transcript.Where(l => l.Connection == latest).SkipWhile(l => l.Direction != TranscriptDirection.ClientToServer)
            .TakeWhile(l => l.Direction != TranscriptDirection.ServerToClient).ToList();
        var sent = lines.Where(l => l.Direction == TranscriptDirection.ClientToServer).Select(l => l.Text).ToList();
        var notes = lines.Where(l => l.Direction == TranscriptDirection.Info).Select(l => l.Text).ToList();
        events.Emit(new LogLine(LogSeverity.Info, $"Grading the first request from {latest}: {sent[0]}"));

        var match = RequestLine().Match(sent[0]);
        var method = match.Success ? match.Groups["method"].Value : sent[0].Split(' ')[0];
        var line = match.Success && method == "GET" && (match.Groups["target"].Value.StartsWith('/') || match.Groups["target"].Value.StartsWith("http://", StringComparison.OrdinalIgnoreCase));
        checks.Record(plan[0].Name, plan[0].Points, plan[0].Expected, line,
            line ? sent[0]
            : !match.Success ? $"sent \"{sent[0]}\": a request line is three parts separated by single spaces, e.g. \"GET /HelloWorld.html HTTP/1.1\""
            : method.Equals("GET", StringComparison.OrdinalIgnoreCase) ? $"sent \"{sent[0]}\": methods are case-sensitive (RFC 9110 section 9.1); write GET in capitals"
            : method != "GET" ? $"sent \"{sent[0]}\": use GET"
            : $"sent \"{sent[0]}\": the target is the path, starting with /");

        var headers = sent.Skip(1).ToList();
        var version = match.Success ? match.Groups["version"].Value : null;
        var hasHost = headers.Any(h => h.StartsWith("Host:", StringComparison.OrdinalIgnoreCase));
        var headersOk = match.Success && (version != "HTTP/1.1" || hasHost);
        checks.Record(plan[1].Name, plan[1].Points, plan[1].Expected, headersOk,
            !match.Success ? "not checked: the request line could not be read, so the server read no headers"
            : headersOk ? $"{headers.Count} header(s){(hasHost ? ", Host included" : "")}"
            : $"{headers.Count} header(s) and no Host: an HTTP/1.1 request must send \"Host: <host>:<port>\" (RFC 9112 section 3.2)");

        var bare = notes.FirstOrDefault(n => n.Contains("bare LF", StringComparison.Ordinal));
        checks.Record(plan[2].Name, plan[2].Points, plan[2].Expected, bare is null && match.Success,
            bare is not null ? $"{bare}: end each line with \"\\r\\n\" and the head with \"\\r\\n\\r\\n\""
            : match.Success ? "CRLF throughout" : "not checked: the request line could not be read");

        var statuses = session.Events.OfType<AccessLogEntry>().Where(a => a.Client == latest).Select(a => a.Status).ToList();
        checks.Record(plan[3].Name, plan[3].Points, plan[3].Expected, statuses.Contains(200),
            statuses.Contains(200) ? "200 OK"
            : statuses.Count > 0 ? $"the server answered {statuses[0]}: {(statuses[0] == 404 ? "ask for a file that exists, e.g. /HelloWorld.html" : "see the request line and headers above")}"
            : "no response was logged for this connection");
        checks.Finish();
    }
}
