using System.Net.Sockets;
using System.Text;
using Netlab.Labs.Core;
using Netlab.Labs.Echo;

namespace Netlab.Labs.TcpConsole;

/// <summary>
/// A telnet-like connection (handout 001's telnet to IMAP, handout 002's simple client): lines
/// typed go out with the chosen ending; everything received is reported as it arrives, text as
/// transcript lines (one per received line; a line split across recv()s shows as two), anything
/// binary as a hex dump. Bounded: lines over the limit are refused, at most the settings'
/// MaxReceivedBytes and MaxReceivedLines are taken in (then it hangs up), and the connection closes
/// after the idle timeout.
/// </summary>
public sealed class TcpConsoleSession : IAsyncDisposable
{
    /// <summary>Received text shown per line at most; the rest is cut (and said so).</summary>
    private const int MaxShownLine = 4_000;

    private readonly Socket socket;
    private readonly TcpConsoleSettings settings;
    private readonly IEventSink events;
    private readonly TimeProvider time;
    private readonly CancellationTokenSource closing = new();
    private readonly Deadline idle;
    private readonly SemaphoreSlim arrived = new(0);
    private readonly SemaphoreSlim sending = new(1, 1);
    private readonly Task reading;
    private long sent, received;
    private int shown; // received lines and binary chunks reported, against MaxReceivedLines
    private int closed;

    private TcpConsoleSession(Socket socket, TcpConsoleSettings settings, IEventSink events, TimeProvider time)
    {
        this.socket = socket;
        this.settings = settings;
        this.events = events;
        this.time = time;
        idle = Deadline.After(settings.IdleTimeoutMs, closing.Token, time);
        reading = Task.Run(ReadLoopAsync);
    }

    public bool Connected => Volatile.Read(ref closed) == 0;

    public long BytesSent => Interlocked.Read(ref sent);

    public long BytesReceived => Interlocked.Read(ref received);

    /// <summary>Why the console hung up on the server, naming the limit's option; null when it did not.</summary>
    public PeerLimitException? LimitExceeded { get; private set; }

    /// <summary>Ends when the connection has closed, whoever closed it.</summary>
    public Task Completion => reading;

    public static async Task<TcpConsoleSession> ConnectAsync(ProbeTarget target, TcpConsoleSettings settings, IEventSink events, TimeProvider? time, CancellationToken cancellationToken)
    {
        time ??= TimeProvider.System;
        var socket = new Socket(target.Address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        using var deadline = Deadline.After(settings.ConnectTimeoutMs, cancellationToken, time);
        try
        {
            await socket.ConnectAsync(target.EndPoint, deadline.Token);
        }
        catch (Exception e) when (e is SocketException || (e is OperationCanceledException && deadline.Expired))
        {
            socket.Dispose();
            throw new LabException(e is SocketException s ? $"Cannot connect to {target}: {s.Message}" : $"No connection to {target} within {settings.ConnectTimeoutMs} ms");
        }
        events.Emit(new TranscriptLine(TranscriptDirection.Info, TranscriptChannel.Control, $"connected to {target} from {socket.LocalEndPoint}"));
        return new TcpConsoleSession(socket, settings, events, time);
    }

    /// <summary>Sends one line with the chosen ending; a line over the limit, with a line break, or on a closed connection is refused.</summary>
    public async Task SendLineAsync(string line, CancellationToken cancellationToken)
    {
        if (line.Contains('\n') || line.Contains('\r'))
            throw new LabException("Send one line at a time (no CR or LF inside it).");
        var bytes = Encoding.UTF8.GetBytes(line);
        if (bytes.Length > settings.MaxLineBytes)
            throw new LabException($"The line is {bytes.Length} bytes; at most {settings.MaxLineBytes} may be sent. Nothing was sent.");
        if (!Connected)
            throw new LabException("The connection is closed.");
        var payload = bytes.Concat(EchoText.Ending(settings.LineEnding)).ToArray();
        await sending.WaitAsync(cancellationToken);
        try
        {
            // Drop earlier arrival signals: a wait for quiet after this line counts only what follows it.
            while (arrived.CurrentCount > 0) arrived.Wait(0, CancellationToken.None);
            // In the transcript before it is on the wire: the reader may see the answer before
            // SendAsync returns, and the answer must not read as if it came first.
            events.Emit(new TranscriptLine(TranscriptDirection.ClientToServer, TranscriptChannel.Control, line));
            using var write = Deadline.After(settings.IdleTimeoutMs, cancellationToken, time);
            await socket.SendAsync(payload, SocketFlags.None, write.Token);
            Interlocked.Add(ref sent, payload.Length);
            idle.Restart(settings.IdleTimeoutMs);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            events.Emit(new TranscriptLine(TranscriptDirection.Info, TranscriptChannel.Control, $"(that line was not sent: {e.Message})"));
            throw new LabException($"Could not send: {e.Message}");
        }
        finally
        {
            sending.Release();
        }
    }

    /// <summary>Waits until nothing has arrived for <paramref name="quiet"/>, at most <paramref name="atMost"/>, or the connection closed.</summary>
    public async Task WaitQuietAsync(TimeSpan quiet, TimeSpan atMost, CancellationToken cancellationToken)
    {
        using var limit = Deadline.After(atMost, cancellationToken, time);
        while (Connected)
        {
            using var pause = Deadline.After(quiet, limit.Token, time);
            try
            {
                await arrived.WaitAsync(pause.Token);
            }
            catch (OperationCanceledException) when (pause.Expired || limit.Expired)
            {
                return;
            }
        }
    }

    private async Task ReadLoopAsync()
    {
        var buffer = new byte[16 * 1024];
        string by = "server", reason = "the server closed the connection";
        try
        {
            while (true)
            {
                var n = await socket.ReceiveAsync(buffer, SocketFlags.None, idle.Token);
                if (n == 0)
                {
                    // The server's FIN may answer ours (DisposeAsync marks closed before it hangs up): then the client closed.
                    if (Volatile.Read(ref closed) == 1)
                        (by, reason) = ("client", "closed");
                    break;
                }
                idle.Restart(settings.IdleTimeoutMs);
                var total = Interlocked.Add(ref received, n);
                var within = Report(buffer.AsSpan(0, n));
                arrived.Release();
                if (!within)
                {
                    LimitExceeded = new PeerLimitException($"The server sent more than {settings.MaxReceivedLines} lines", "maxReceivedLines");
                    (by, reason) = ("client", $"more than {settings.MaxReceivedLines} lines received: hung up");
                    break;
                }
                if (total > settings.MaxReceivedBytes)
                {
                    LimitExceeded = new PeerLimitException($"The server sent more than {settings.MaxReceivedBytes} bytes", "maxReceivedBytes");
                    (by, reason) = ("client", $"more than {settings.MaxReceivedBytes} bytes received: hung up");
                    break;
                }
            }
        }
        catch (OperationCanceledException) when (idle.Expired)
        {
            (by, reason) = ("idle", $"nothing sent or received for {settings.IdleTimeoutMs} ms: closed");
        }
        catch (OperationCanceledException)
        {
            (by, reason) = ("client", "closed");
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            (by, reason) = closing.IsCancellationRequested ? ("client", "closed") : ("error", e.Message);
        }
        Interlocked.Exchange(ref closed, 1);
        socket.CloseQuietly();
        events.Emit(new TranscriptLine(TranscriptDirection.Info, TranscriptChannel.Control, reason));
        events.Emit(new ConsoleClosed(by, reason, BytesSent, BytesReceived));
        arrived.Release();
    }

    /// <summary>
    /// Text as one transcript line per received line; a chunk with control bytes (other than CR,
    /// LF, TAB) as hex. False once MaxReceivedLines have been reported (the rest of the chunk is not).
    /// </summary>
    private bool Report(ReadOnlySpan<byte> chunk)
    {
        if (IsBinary(chunk))
        {
            if (++shown > settings.MaxReceivedLines)
                return false;
            events.Emit(new HexMessage($"received {chunk.Length} bytes (binary)", chunk[..Math.Min(chunk.Length, 4_096)].ToArray(), []));
            return true;
        }
        var text = Encoding.UTF8.GetString(chunk).Replace("\r\n", "\n");
        var lines = text.Split('\n');
        var count = text.EndsWith('\n') ? lines.Length - 1 : lines.Length;
        for (var i = 0; i < count; i++)
        {
            if (++shown > settings.MaxReceivedLines)
                return false;
            var line = lines[i].TrimEnd('\r');
            events.Emit(new TranscriptLine(TranscriptDirection.ServerToClient, TranscriptChannel.Control,
                line.Length > MaxShownLine ? line[..MaxShownLine] + $"… ({line.Length} characters)" : line));
        }
        return true;
    }

    public static bool IsBinary(ReadOnlySpan<byte> bytes)
    {
        foreach (var b in bytes)
            if (b is < 0x20 and not ((byte)'\r' or (byte)'\n' or (byte)'\t') || b == 0x7f)
                return true;
        return false;
    }

    /// <summary>Hangs up (FIN, then the socket freed) and waits for the reader to report it.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref closed, 1) == 0)
        {
            try { socket.Shutdown(SocketShutdown.Send); } catch (Exception e) when (e is SocketException or ObjectDisposedException) { }
        }
        closing.Cancel();
        await reading.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        idle.Dispose();
        closing.Dispose();
        socket.Dispose();
    }
}
