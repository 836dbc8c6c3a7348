using System.Globalization;
using System.Text;
using Netlab.Labs.Core;

namespace Netlab.Labs.Http;

/// <summary>
/// Grades a web server (the lab's own or a student's) against the handouts' requirements, one
/// <see cref="Check"/> per requirement with its points, what was expected and what came back.
/// Every check has its own time limit, so a server that hangs fails checks instead of the run.
/// </summary>
public sealed class HttpGrader(HttpGraderOptions options, LabEnvironment environment) : IProbe
{
    private static readonly string[] RequiredHeaders = ["Connection", "Date", "Server", "Last-Modified", "Content-Length", "Content-Type"];

    private delegate Task<(bool Passed, string Actual)> CheckBody(ProbeTarget target, CancellationToken cancellationToken);

    public async Task RunAsync(ProbeTarget target, IEventSink events, CancellationToken cancellationToken)
    {
        var expected = ExpectedBytes();
        events.Emit(new LogLine(LogSeverity.Info, expected is null
            ? $"Grading http://{target}/ ; {options.Path} is not in the content root, so its bytes cannot be compared."
            : $"Grading http://{target}/ ; {options.Path} should be the {expected.Length} bytes of the content root's copy."));

        (string Name, double Points, string Expected, CheckBody Body)[] checks =
        [
            ("GET of a known file", 3, expected is null ? $"200 for {options.Path}" : $"200 and exactly the {expected.Length} bytes of {options.Path}",
                (t, ct) => GetKnownFileAsync(t, expected, ct)),
            ("Missing file is 404", 2, $"404 for {options.MissingPath}", GetMissingAsync),
            ("HEAD matches GET without a body", 1, "the same status and headers as GET (but Date), and no body", HeadAsync),
            ("Required headers", 2, "Connection, Date, Server, Last-Modified, Content-Length, Content-Type, well formed", HeadersAsync),
            ("Simultaneous requests", 2, $"{options.Concurrency} connections at once all answered, while one client is still sending its request", ConcurrentAsync),
            ("Keep-alive", 1, "three requests answered on one HTTP/1.1 connection", KeepAliveAsync),
            ("Unsupported method", 1, "405 or 501 for BREW", (t, ct) => StatusOfRawAsync(t, $"BREW {options.Path} HTTP/1.1", [405, 501], ct)),
            ("Bad HTTP version", 1, "505 or 400 for HTTP/9.9", (t, ct) => StatusOfRawAsync(t, $"GET {options.Path} HTTP/9.9", [505, 400], ct)),
        ];

        double score = 0, total = 0;
        var passed = 0;
        foreach (var (name, points, expectation, body) in checks)
        {
            cancellationToken.ThrowIfCancellationRequested();
            using var deadline = Deadline.After(options.TimeoutMs, cancellationToken, environment.Time);
            bool ok;
            string actual;
            try
            {
                (ok, actual) = await body(target, deadline.Token);
            }
            catch (OperationCanceledException) when (deadline.Expired)
            {
                (ok, actual) = (false, $"no complete answer within {options.TimeoutMs} ms");
            }
            catch (Exception e) when (e is LabException or System.Net.Sockets.SocketException or IOException)
            {
                (ok, actual) = (false, e.Message);
            }
            total += points;
            if (ok)
            {
                score += points;
                passed++;
            }
            events.Emit(new Check(name, ok, ok ? points : 0, points, expectation, actual));
        }
        events.Emit(new Summary(
            [$"Score: {score.ToString(CultureInfo.InvariantCulture)}/{total.ToString(CultureInfo.InvariantCulture)} ({passed} of {checks.Length} checks passed)"],
            new Dictionary<string, double?> { ["score"] = score, ["maxScore"] = total, ["passed"] = passed, ["failed"] = checks.Length - passed }));
    }

    private byte[]? ExpectedBytes()
    {
        if (!ContentRoot.TryDecode(options.Path.Split('?')[0], out var decoded))
            return null;
        return new ContentRoot(environment.ContentRoot).TryResolve(decoded, out var path) == ContentRoot.Outcome.Found && File.Exists(path)
            ? File.ReadAllBytes(path) : null;
    }

    private static string Host(ProbeTarget target) => $"{target.Host}:{target.Port}";

    /// <summary>
    /// One request on its own connection; keeps at most maxStored bytes of the body (only the known
    /// file's are compared: 100 clients at once must not each hold a hostile server's 16 MB).
    /// </summary>
    private async Task<HttpResponse> ExchangeAsync(ProbeTarget target, string method, string path, CancellationToken ct, int maxStored = 0)
    {
        await using var connection = await HttpClientConnection.ConnectAsync(target.EndPoint, ct);
        await connection.SendAsync(HttpClientConnection.Request(method, path, Host(target)), ct);
        return await connection.ReadResponseAsync(method == "HEAD", maxStored, ct, options.MaxBodyBytes);
    }

    private async Task<(bool, string)> GetKnownFileAsync(ProbeTarget target, byte[]? expected, CancellationToken ct)
    {
        var response = await ExchangeAsync(target, "GET", options.Path, ct, expected is null ? 0 : Math.Min(expected.Length + 1, options.MaxBodyBytes));
        if (response.Head.Status != 200)
            return (false, $"{response.Head.StatusLine}");
        if (expected is null)
            return (true, $"200, {response.BodyBytes} bytes");
        if (response.Body.AsSpan().SequenceEqual(expected))
            return (true, $"200, {response.BodyBytes} bytes, identical to the content root's copy");
        var differsAt = response.Body.AsSpan().CommonPrefixLength(expected);
        return (false, $"200, {response.BodyBytes} bytes, different from the {expected.Length} expected from byte {differsAt} on");
    }

    private async Task<(bool, string)> GetMissingAsync(ProbeTarget target, CancellationToken ct)
    {
        var response = await ExchangeAsync(target, "GET", options.MissingPath, ct);
        return (response.Head.Status == 404, response.Head.StatusLine);
    }

    private async Task<(bool, string)> HeadAsync(ProbeTarget target, CancellationToken ct)
    {
        var get = await ExchangeAsync(target, "GET", options.Path, ct);
        await using var connection = await HttpClientConnection.ConnectAsync(target.EndPoint, ct);
        await connection.SendAsync(HttpClientConnection.Request("HEAD", options.Path, Host(target)), ct);
        var head = await connection.ReadResponseAsync(headRequest: true, 0, ct);
        // The request said "Connection: close": whatever arrives before the close is a body HEAD must not have.
        var extra = await connection.DrainUntilCloseAsync(ct, options.MaxBodyBytes);
        var problems = new List<string>();
        if (head.Head.Status != get.Head.Status)
            problems.Add($"HEAD gave {head.Head.Status}, GET {get.Head.Status}");
        static string Norm(HttpResponseHeadParsed h) => string.Join("\n", h.Headers.Where(x => !x.Key.Equals("Date", StringComparison.OrdinalIgnoreCase))
            .Select(x => $"{x.Key.ToLowerInvariant()}: {x.Value}").Order(StringComparer.Ordinal));
        if (Norm(head.Head) != Norm(get.Head))
            problems.Add("the headers differ from GET's");
        if (extra > 0)
            problems.Add($"{extra} bytes of body followed the HEAD response");
        return problems.Count == 0 ? (true, $"{head.Head.StatusLine}, same headers, no body") : (false, string.Join("; ", problems));
    }

    private async Task<(bool, string)> HeadersAsync(ProbeTarget target, CancellationToken ct)
    {
        var response = await ExchangeAsync(target, "GET", options.Path, ct);
        var problems = new List<string>();
        var missing = RequiredHeaders.Where(h => response.Head.Header(h) is null).ToList();
        if (missing.Count > 0)
            problems.Add("missing " + string.Join(", ", missing));
        if (response.Head.Header("Date") is { } date && !HttpResponseHead.TryParseDate(date, out _))
            problems.Add($"Date \"{date}\" is not an HTTP date");
        if (response.Head.Header("Last-Modified") is { } modified && !HttpResponseHead.TryParseDate(modified, out _))
            problems.Add($"Last-Modified \"{modified}\" is not an HTTP date");
        if (response.Head.Header("Content-Length") is { } length && length != response.BodyBytes.ToString(CultureInfo.InvariantCulture))
            problems.Add($"Content-Length {length} but the body had {response.BodyBytes} bytes");
        var expectedType = MimeTypes.ForPath(options.Path).Split(';')[0];
        if (response.Head.Header("Content-Type") is { } type && !type.Split(';')[0].Trim().Equals(expectedType, StringComparison.OrdinalIgnoreCase))
            problems.Add($"Content-Type {type} does not fit {Path.GetExtension(options.Path)} (expected {expectedType})");
        return problems.Count == 0
            ? (true, string.Join(", ", RequiredHeaders.Select(h => $"{h}: {response.Head.Header(h)}")))
            : (false, string.Join("; ", problems));
    }

    /// <summary>
    /// The multithreading exercise: one connection sends only half a request and waits, and all the
    /// others must still be answered. A server that handles one connection at a time is stuck
    /// reading the first and answers none of them.
    /// </summary>
    private async Task<(bool, string)> ConcurrentAsync(ProbeTarget target, CancellationToken ct)
    {
        await using var slow = await HttpClientConnection.ConnectAsync(target.EndPoint, ct);
        var request = HttpClientConnection.Request("GET", options.Path, Host(target));
        await slow.SendAsync(request[..10], ct);
        await Task.Delay(TimeSpan.FromMilliseconds(50), environment.Time, ct); // let the server pick the slow one up first

        var others = await Task.WhenAll(Enumerable.Range(0, options.Concurrency - 1).Select(async _ =>
        {
            try
            {
                var response = await ExchangeAsync(target, "GET", options.Path, ct);
                return response.Head.Status == 200;
            }
            catch (Exception e) when (e is HttpProtocolException or System.Net.Sockets.SocketException or OperationCanceledException)
            {
                return false;
            }
        }));
        var answered = others.Count(ok => ok);
        if (answered < others.Length)
            return (false, $"{answered} of {others.Length} requests answered with 200 while another client was still sending its request");
        await slow.SendAsync(request[10..], ct);
        var last = await slow.ReadResponseAsync(false, 0, ct, options.MaxBodyBytes);
        return last.Head.Status == 200
            ? (true, $"all {options.Concurrency} answered with 200, the slow client too")
            : (false, $"the slow client got {last.Head.StatusLine}");
    }

    private async Task<(bool, string)> KeepAliveAsync(ProbeTarget target, CancellationToken ct)
    {
        await using var connection = await HttpClientConnection.ConnectAsync(target.EndPoint, ct);
        for (var i = 1; i <= 3; i++)
        {
            await connection.SendAsync(HttpClientConnection.Request("GET", options.Path, Host(target), keepAlive: i < 3), ct);
            HttpResponse response;
            try
            {
                response = await connection.ReadResponseAsync(false, 0, ct, options.MaxBodyBytes);
            }
            catch (HttpProtocolException e)
            {
                return (false, $"request {i} on the connection: {e.Message}");
            }
            if (response.Head.Status != 200)
                return (false, $"request {i} on the connection: {response.Head.StatusLine}");
            if (response.Framing == BodyFraming.UntilClose && i < 3)
                return (false, $"request {i}: no Content-Length, so the connection could not be reused");
        }
        return (true, "3 responses with 200 on one connection");
    }

    private async Task<(bool, string)> StatusOfRawAsync(ProbeTarget target, string requestLine, int[] accepted, CancellationToken ct)
    {
        await using var connection = await HttpClientConnection.ConnectAsync(target.EndPoint, ct);
        await connection.SendAsync($"{requestLine}\r\nHost: {Host(target)}\r\nConnection: close\r\n\r\n", ct);
        var response = await connection.ReadResponseAsync(false, 0, ct, options.MaxBodyBytes);
        return (accepted.Contains(response.Head.Status), response.Head.StatusLine);
    }
}
