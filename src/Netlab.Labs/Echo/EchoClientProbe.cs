using System.Globalization;
using System.Net.Sockets;
using System.Text;
using Netlab.Labs.Core;

namespace Netlab.Labs.Echo;

/// <summary>
/// The echo client of handouts 001 and 003: sends each line over one TCP connection (or as one
/// UDP datagram each) and shows what came back. Over TCP each recv() is its own event, so a
/// student sees one message come back in pieces (or two in one): a stream has no boundaries.
/// A TCP reply is complete once as many bytes came back as were sent, or nothing more arrives
/// for the quiet time; every wait is bounded by the timeout, every reply by <see cref="MaxReplyBytes"/>.
/// </summary>
public sealed class EchoClientProbe(EchoClientOptions options, TimeProvider? time = null) : IProbe
{
    /// <summary>Most bytes read after one line: a server that floods cannot keep the probe reading.</summary>
    public const int MaxReplyBytes = 256 * 1024;

    /// <summary>Lines sent at most.</summary>
    public const int MaxLines = 1_000;

    /// <summary>recv()s after one line shown each as its own event; the rest are counted in one line (a peer trickling bytes is not an event per byte).</summary>
    public const int MaxShownChunks = 100;

    private readonly TimeProvider time = time ?? TimeProvider.System;

    public async Task RunAsync(ProbeTarget target, IEventSink events, CancellationToken cancellationToken)
    {
        var lines = options.Lines.Replace("\r\n", "\n").Split('\n');
        if (lines.Length > 1 && lines[^1].Length == 0) lines = lines[..^1];
        if (lines.Length > MaxLines)
            throw new LabException($"At most {MaxLines} lines at a time ({lines.Length} given).");
        var ending = EchoText.Ending(options.LineEnding);
        var stats = new Stats();
        try
        {
            if (options.Transport == EchoTransport.Udp)
                await RunUdpAsync(target, lines, ending, events, stats, cancellationToken);
            else
                await RunTcpAsync(target, lines, ending, events, stats, cancellationToken);
        }
        finally
        {
            events.Emit(stats.ToSummary(options.Transport));
        }
    }

    private async Task RunTcpAsync(ProbeTarget target, string[] lines, byte[] ending, IEventSink events, Stats stats, CancellationToken cancellationToken)
    {
        using var socket = new Socket(target.Address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        using (var connect = Deadline.After(options.TimeoutMs, cancellationToken, time))
        {
            try
            {
                await socket.ConnectAsync(target.EndPoint, connect.Token);
            }
            catch (SocketException e)
            {
                throw new LabException($"Cannot connect to {target}: {e.Message}");
            }
            catch (OperationCanceledException) when (connect.Expired)
            {
                throw new LabException($"No connection to {target} within {options.TimeoutMs} ms");
            }
        }
        events.Emit(new TranscriptLine(TranscriptDirection.Info, TranscriptChannel.Control, $"connected to {target} from {socket.LocalEndPoint}"));
        var buffer = new byte[64 * 1024];
        // A greeting, if the server sends one, comes before any line: listen for the quiet time.
        if (!await ReadReplyAsync(socket, buffer, 0, expected: int.MaxValue, events, stats, firstWaitMs: options.QuietMs, cancellationToken))
            return;
        for (var i = 0; i < lines.Length; i++)
        {
            var payload = Encoding.UTF8.GetBytes(lines[i]).Concat(ending).ToArray();
            events.Emit(new TranscriptLine(TranscriptDirection.ClientToServer, TranscriptChannel.Control, EchoEscape.Of(payload)));
            await socket.SendAsync(payload, SocketFlags.None, cancellationToken);
            stats.Sent(payload.Length);
            if (!await ReadReplyAsync(socket, buffer, i + 1, payload.Length, events, stats, firstWaitMs: options.TimeoutMs, cancellationToken))
                return;
        }
        socket.Shutdown(SocketShutdown.Send);
        events.Emit(new TranscriptLine(TranscriptDirection.Info, TranscriptChannel.Control, "closed"));
    }

    /// <summary>Reads the recv()s that follow one line; false when the server closed the connection.</summary>
    private async Task<bool> ReadReplyAsync(Socket socket, byte[] buffer, int line, int expected, IEventSink events, Stats stats, int firstWaitMs, CancellationToken cancellationToken)
    {
        var sent = time.GetTimestamp();
        var received = 0;
        var chunk = 0;
        long hidden = 0;
        using var total = Deadline.After(options.TimeoutMs, cancellationToken, time);
        while (received < expected && received < MaxReplyBytes)
        {
            using var quiet = Deadline.After(chunk == 0 ? firstWaitMs : options.QuietMs, total.Token, time);
            int n;
            try
            {
                n = await socket.ReceiveAsync(buffer.AsMemory(0, Math.Min(buffer.Length, MaxReplyBytes - received)), SocketFlags.None, quiet.Token);
            }
            catch (OperationCanceledException) when (quiet.Expired || total.Expired)
            {
                if (chunk == 0 && line > 0)
                    events.Emit(new LogLine(LogSeverity.Warning, $"line {line}: no reply within {firstWaitMs} ms"));
                break;
            }
            catch (SocketException e)
            {
                events.Emit(new TranscriptLine(TranscriptDirection.Info, TranscriptChannel.Control, $"connection failed: {e.Message}"));
                return false;
            }
            if (n == 0)
            {
                events.Emit(new TranscriptLine(TranscriptDirection.Info, TranscriptChannel.Control, "the server closed the connection"));
                return false;
            }
            chunk++;
            received += n;
            Received(stats, n);
            if (chunk <= MaxShownChunks)
            {
                events.Emit(new EchoChunk(line, chunk, n, EchoEscape.Of(buffer.AsSpan(0, n)), Math.Round(time.GetElapsedTime(sent).TotalMilliseconds, 3)));
                events.Emit(new TranscriptLine(TranscriptDirection.ServerToClient, TranscriptChannel.Control, EchoEscape.Of(buffer.AsSpan(0, n))));
            }
            else
            {
                hidden += n;
            }
        }
        if (chunk > MaxShownChunks)
            events.Emit(new LogLine(LogSeverity.Info, $"{(line == 0 ? "before any line" : $"line {line}")}: {chunk - MaxShownChunks} more recv()s ({hidden} bytes) not shown one by one"));
        if (line > 0) stats.Replied(chunk);
        return true;
    }

    private async Task RunUdpAsync(ProbeTarget target, string[] lines, byte[] ending, IEventSink events, Stats stats, CancellationToken cancellationToken)
    {
        using var socket = new Socket(target.Address.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        // Connected, so only the target's datagrams arrive and "port unreachable" is reported.
        socket.Connect(target.EndPoint);
        var buffer = new byte[UdpReceiveLoop.MaxDatagram];
        for (var i = 0; i < lines.Length; i++)
        {
            var payload = Encoding.UTF8.GetBytes(lines[i]).Concat(ending).ToArray();
            events.Emit(new TranscriptLine(TranscriptDirection.ClientToServer, TranscriptChannel.Control, EchoEscape.Of(payload)));
            var sent = time.GetTimestamp();
            using var deadline = Deadline.After(options.TimeoutMs, cancellationToken, time);
            try
            {
                await socket.SendAsync(payload, SocketFlags.None, deadline.Token);
                stats.Sent(payload.Length);
                var n = await socket.ReceiveAsync(buffer, SocketFlags.None, deadline.Token);
                Received(stats, n);
                stats.Replied(1);
                events.Emit(new EchoChunk(i + 1, 1, n, EchoEscape.Of(buffer.AsSpan(0, n)), Math.Round(time.GetElapsedTime(sent).TotalMilliseconds, 3)));
                events.Emit(new TranscriptLine(TranscriptDirection.ServerToClient, TranscriptChannel.Control, EchoEscape.Of(buffer.AsSpan(0, n))));
            }
            catch (OperationCanceledException) when (deadline.Expired)
            {
                events.Emit(new LogLine(LogSeverity.Warning, $"line {i + 1}: no datagram back within {options.TimeoutMs} ms"));
            }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.ConnectionRefused or SocketError.ConnectionReset)
            {
                events.Emit(new LogLine(LogSeverity.Warning, $"line {i + 1}: destination port unreachable (nothing listening on {target})"));
            }
        }
    }

    /// <summary>Counts bytes from the server against the run's limit: a flood ends the run.</summary>
    private void Received(Stats stats, int bytes)
    {
        stats.Received(bytes);
        if (stats.ReceivedBytes > options.MaxReceivedBytes)
            throw new PeerLimitException($"The server sent more than {options.MaxReceivedBytes} bytes", "maxReceivedBytes");
    }

    private sealed class Stats
    {
        public long ReceivedBytes => received;

        private int lines, replies, chunks;
        private long sent, received;

        public void Sent(int bytes) { lines++; sent += bytes; }
        public void Received(int bytes) => received += bytes;
        public void Replied(int chunkCount) { if (chunkCount > 0) replies++; chunks += chunkCount; }

        public Summary ToSummary(EchoTransport transport) => new(
            [string.Create(CultureInfo.InvariantCulture, $"{lines} lines sent ({sent} bytes) over {transport.ToString().ToUpperInvariant()}, {replies} answered, {received} bytes back in {chunks} recv()s")],
            new Dictionary<string, double?> { ["lines"] = lines, ["answered"] = replies, ["bytesSent"] = sent, ["bytesReceived"] = received, ["chunks"] = chunks });
    }
}
