using System.Buffers;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Netlab.Labs.Http;

public enum BodyFraming { None, ContentLength, Chunked, UntilClose }

/// <summary>A response as the client read it, with the bytes kept (up to a limit) and timings.</summary>
public sealed record HttpResponse(HttpResponseHeadParsed Head, byte[] Body, long BodyBytes, bool BodyTruncated, BodyFraming Framing, double FirstByteMs, double TotalMs);

/// <summary>
/// The client side of the lab on a plain socket: connect, send a request as written (so a grader
/// can send bad ones on purpose), read the response head and body by its framing (Content-Length,
/// chunked, or until close as HTTP/1.0 servers do). Every wait is bounded by the caller's token.
/// </summary>
public sealed class HttpClientConnection : IAsyncDisposable
{
    private readonly Socket socket;
    private byte[] buffer = new byte[16 * 1024];
    private int filled;
    private long sentAt;

    /// <summary>The largest body read by default (the probe's and the grader's maxBodyBytes).</summary>
    public const long DefaultMaxBodyBytes = 16L * 1024 * 1024;

    /// <summary>Trailer lines after a chunked body accepted at most.</summary>
    public const int MaxTrailers = 100;

    private long bodyLimit = long.MaxValue;
    private long bodyRead; // body bytes and chunked framing read so far, against bodyLimit

    private HttpClientConnection(Socket socket, double connectMs)
    {
        this.socket = socket;
        ConnectMs = connectMs;
    }

    public double ConnectMs { get; }

    public static async Task<HttpClientConnection> ConnectAsync(IPEndPoint target, CancellationToken cancellationToken)
    {
        var socket = new Socket(target.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        var started = Stopwatch.GetTimestamp();
        try
        {
            await socket.ConnectAsync(target, cancellationToken);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
        return new HttpClientConnection(socket, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
    }

    /// <summary>The usual request: method, path, Host, a User-Agent, and keep-alive or close.</summary>
    public static string Request(string method, string path, string host, bool keepAlive = false, string version = "HTTP/1.1") =>
        $"{method} {path} {version}\r\nHost: {host}\r\nUser-Agent: Netlab/1.0\r\nAccept: */*\r\nConnection: {(keepAlive ? "keep-alive" : "close")}\r\n\r\n";

    public async Task SendAsync(string request, CancellationToken cancellationToken)
    {
        sentAt = Stopwatch.GetTimestamp();
        await socket.SendAsync(Encoding.Latin1.GetBytes(request), SocketFlags.None, cancellationToken);
    }

    /// <summary>
    /// Reads one response. A response to HEAD (and 1xx, 204, 304) has no body (RFC 9112 section 6.3).
    /// At most <paramref name="maxStoredBody"/> bytes of the body are kept; a body (with its chunked
    /// framing and trailers) of more than <paramref name="maxBodyBytes"/> ends the exchange: a server
    /// that streams forever must not keep a client reading until its time runs out.
    /// </summary>
    public async Task<HttpResponse> ReadResponseAsync(bool headRequest, int maxStoredBody, CancellationToken cancellationToken, long maxBodyBytes = DefaultMaxBodyBytes)
    {
        double firstByte = -1;
        HttpResponseParser.Result parsed;
        while ((parsed = HttpResponseParser.Parse(buffer.AsSpan(0, filled))).Status == ParseStatus.NeedMoreData)
        {
            if (filled == buffer.Length)
                Array.Resize(ref buffer, Math.Min(buffer.Length * 2, HttpResponseParser.MaxHead + 1));
            var n = await socket.ReceiveAsync(buffer.AsMemory(filled), SocketFlags.None, cancellationToken);
            if (firstByte < 0 && n > 0)
                firstByte = Elapsed();
            if (n == 0)
                throw new HttpProtocolException(filled == 0 ? "the server closed the connection without answering"
                    : !buffer.AsSpan(0, filled).StartsWith("HTTP/"u8) ? $"the answer has no status line (HTTP/0.9 style), only: \"{Core.Printable.Ascii(buffer.AsSpan(0, filled), 100)}\""
                    : $"the server closed the connection in the middle of the response head ({filled} bytes)");
            filled += n;
        }
        if (parsed.Status == ParseStatus.Rejected)
            throw new HttpProtocolException(parsed.Error!);
        if (firstByte < 0)
            firstByte = Elapsed();
        var head = parsed.Head!;
        Consume(parsed.Consumed);
        bodyLimit = maxBodyBytes;
        bodyRead = 0;

        var body = new ArrayBufferWriter<byte>();
        long total = 0;
        var truncated = false;
        void Keep(ReadOnlySpan<byte> data)
        {
            total += data.Length;
            var room = maxStoredBody - body.WrittenCount;
            if (room > 0)
                body.Write(data[..Math.Min(room, data.Length)]);
            if (data.Length > room)
                truncated = true;
        }

        BodyFraming framing;
        if (headRequest || head.Status is >= 100 and < 200 or 204 or 304)
        {
            framing = BodyFraming.None;
        }
        else if (head.Header("Transfer-Encoding") is { } te && te.Contains("chunked", StringComparison.OrdinalIgnoreCase))
        {
            framing = BodyFraming.Chunked;
            await ReadChunkedAsync(Keep, cancellationToken);
        }
        else if (head.Header("Content-Length") is { } cl)
        {
            if (!long.TryParse(cl, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var length))
                throw new HttpProtocolException($"Content-Length \"{cl}\" is not a number");
            framing = BodyFraming.ContentLength;
            if (length > maxBodyBytes)
                throw TooLong();
            await ReadExactlyAsync(length, Keep, cancellationToken);
        }
        else
        {
            framing = BodyFraming.UntilClose;
            await ReadUntilCloseAsync(Keep, cancellationToken);
        }
        bodyLimit = long.MaxValue;
        return new HttpResponse(head, body.WrittenSpan.ToArray(), total, truncated, framing, firstByte, Elapsed());
    }

    /// <summary>Reads whatever else the server sends until it closes (to check that a HEAD response had no body), at most maxBytes.</summary>
    public async Task<long> DrainUntilCloseAsync(CancellationToken cancellationToken, long maxBytes = DefaultMaxBodyBytes)
    {
        long total = 0;
        bodyLimit = maxBytes;
        bodyRead = 0;
        await ReadUntilCloseAsync(data => total += data.Length, cancellationToken);
        return total;
    }

    private async Task ReadExactlyAsync(long length, Action<ReadOnlySpan<byte>> sink, CancellationToken cancellationToken)
    {
        while (length > 0)
        {
            if (filled == 0 && !await FillAsync(cancellationToken))
                throw new HttpProtocolException($"the server closed the connection with {length} bytes of the body still to come");
            var take = (int)Math.Min(length, filled);
            Count(take);
            sink(buffer.AsSpan(0, take));
            Consume(take);
            length -= take;
        }
    }

    private async Task ReadUntilCloseAsync(Action<ReadOnlySpan<byte>> sink, CancellationToken cancellationToken)
    {
        do
        {
            Count(filled);
            sink(buffer.AsSpan(0, filled));
            Consume(filled);
        }
        while (await FillAsync(cancellationToken));
    }

    // chunked-body = *chunk last-chunk trailer-section CRLF (RFC 9112 section 7.1)
    private async Task ReadChunkedAsync(Action<ReadOnlySpan<byte>> sink, CancellationToken cancellationToken)
    {
        while (true)
        {
            var line = await ReadLineAsync(cancellationToken);
            var sizeText = line.Split(';')[0].Trim();
            if (!long.TryParse(sizeText, System.Globalization.NumberStyles.AllowHexSpecifier, System.Globalization.CultureInfo.InvariantCulture, out var size) || size < 0)
                throw new HttpProtocolException($"bad chunk size \"{sizeText}\"");
            if (size > bodyLimit - bodyRead)
                throw TooLong();
            if (size == 0)
            {
                // trailer-section = *( field-line CRLF ): bounded in lines as the head is.
                for (var trailers = 0; (await ReadLineAsync(cancellationToken)).Length > 0; trailers++)
                {
                    if (trailers == MaxTrailers)
                        throw new HttpProtocolException($"the server sent more than {MaxTrailers} trailer lines after the chunked body, this client's fixed limit");
                }
                return;
            }
            await ReadExactlyAsync(size, sink, cancellationToken);
            await ReadLineAsync(cancellationToken);
        }
    }

    private async Task<string> ReadLineAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            var nl = buffer.AsSpan(0, filled).IndexOf((byte)'\n');
            if (nl >= 0)
            {
                var line = Encoding.Latin1.GetString(buffer, 0, nl).TrimEnd('\r');
                Count(nl + 1); // chunk sizes, extensions and trailers count against the body's limit too
                Consume(nl + 1);
                return line;
            }
            if (filled > 4096)
                throw new HttpProtocolException("a chunk header line is too long");
            if (!await FillAsync(cancellationToken))
                throw new HttpProtocolException("the server closed the connection inside a chunked body");
        }
    }

    private void Count(int bytes)
    {
        bodyRead += bytes;
        if (bodyRead > bodyLimit)
            throw TooLong();
    }

    private HttpProtocolException TooLong() =>
        new($"the server sent a body of more than {bodyLimit} bytes, this client's limit (maxBodyBytes); stopped reading");

    private async Task<bool> FillAsync(CancellationToken cancellationToken)
    {
        if (filled == buffer.Length)
            Array.Resize(ref buffer, buffer.Length * 2);
        var n = await socket.ReceiveAsync(buffer.AsMemory(filled), SocketFlags.None, cancellationToken);
        filled += n;
        return n > 0;
    }

    private void Consume(int count)
    {
        Buffer.BlockCopy(buffer, count, buffer, 0, filled - count);
        filled -= count;
    }

    private double Elapsed() => Stopwatch.GetElapsedTime(sentAt).TotalMilliseconds;

    public ValueTask DisposeAsync()
    {
        socket.Dispose();
        return ValueTask.CompletedTask;
    }
}

/// <summary>The server's answer broke HTTP (closed early, malformed head): the exchange failed, for this reason.</summary>
public sealed class HttpProtocolException(string message) : Core.LabException(message);
