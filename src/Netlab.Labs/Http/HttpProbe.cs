using System.Text;
using Netlab.Labs.Core;

namespace Netlab.Labs.Http;

/// <summary>
/// The handout's client.py: one GET (or HEAD) of a path, shown as curl -v shows it ("> " request
/// lines, "< " response lines), then the status, headers, a body preview and the timings.
/// </summary>
/// <param name="time">The clock of the time limit; null = the system's.</param>
public sealed class HttpProbe(HttpProbeOptions options, TimeProvider? time = null) : IProbe
{
    public const int BodyPreviewLimit = 64 * 1024;

    public async Task RunAsync(ProbeTarget target, IEventSink events, CancellationToken cancellationToken)
    {
        using var timeout = Deadline.After(options.TimeoutMs, cancellationToken, time);
        var method = options.Method.ToString();
        var host = target.Address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 && target.Host == target.Address.ToString()
            ? $"[{target.Host}]:{target.Port}" : $"{target.Host}:{target.Port}";
        void Line(TranscriptDirection direction, string text) => events.Emit(new TranscriptLine(direction, TranscriptChannel.Control, text));

        Line(TranscriptDirection.Info, $"Trying {target.Address}:{target.Port}...");
        try
        {
            await using var connection = await HttpClientConnection.ConnectAsync(target.EndPoint, timeout.Token);
            Line(TranscriptDirection.Info, $"Connected to {target.Host} ({target.Address}) port {target.Port} in {connection.ConnectMs:F3} ms");
            var request = HttpClientConnection.Request(method, options.Path, host);
            foreach (var line in request.Split("\r\n").SkipLast(1))
                Line(TranscriptDirection.ClientToServer, line);
            await connection.SendAsync(request, timeout.Token);

            var response = await connection.ReadResponseAsync(options.Method == RequestMethod.HEAD, BodyPreviewLimit, timeout.Token, options.MaxBodyBytes);
            Line(TranscriptDirection.ServerToClient, response.Head.StatusLine);
            foreach (var (name, value) in response.Head.Headers)
                Line(TranscriptDirection.ServerToClient, $"{name}: {value}");
            Line(TranscriptDirection.ServerToClient, "");
            Line(TranscriptDirection.Info, $"{response.BodyBytes} bytes of body ({Framing(response.Framing)}); connection closed");

            var contentType = response.Head.Header("Content-Type");
            var isText = MimeTypes.IsText(contentType) || (contentType is null && LooksLikeText(response.Body));
            events.Emit(new HttpResponseView(
                response.Head.Status, response.Head.Reason, response.Head.Version, response.Head.Headers, contentType,
                response.BodyBytes, isText,
                isText ? Encoding.UTF8.GetString(response.Body) : Convert.ToBase64String(response.Body), response.BodyTruncated,
                connection.ConnectMs, connection.ConnectMs + response.FirstByteMs, connection.ConnectMs + response.TotalMs));
            events.Emit(new Summary(
                [
                    $"{response.Head.StatusLine}: {response.BodyBytes} bytes",
                    string.Create(System.Globalization.CultureInfo.InvariantCulture,
                        $"connect {connection.ConnectMs:F3} ms, first byte {connection.ConnectMs + response.FirstByteMs:F3} ms, total {connection.ConnectMs + response.TotalMs:F3} ms"),
                ],
                new Dictionary<string, double?>
                {
                    ["status"] = response.Head.Status,
                    ["bodyBytes"] = response.BodyBytes,
                    ["connectMs"] = connection.ConnectMs,
                    ["firstByteMs"] = connection.ConnectMs + response.FirstByteMs,
                    ["totalMs"] = connection.ConnectMs + response.TotalMs,
                }));
        }
        catch (OperationCanceledException) when (timeout.Expired)
        {
            throw new LabException($"No complete answer from {target} within {options.TimeoutMs} ms.");
        }
        catch (System.Net.Sockets.SocketException e)
        {
            throw new LabException($"Cannot talk to {target}: {e.Message}.");
        }
    }

    private static string Framing(BodyFraming framing) => framing switch
    {
        BodyFraming.ContentLength => "by Content-Length",
        BodyFraming.Chunked => "chunked",
        BodyFraming.UntilClose => "read until the server closed",
        _ => "none expected",
    };

    private static bool LooksLikeText(byte[] body) => body.Take(512).All(b => b is >= 0x20 or (byte)'\n' or (byte)'\r' or (byte)'\t');
}
