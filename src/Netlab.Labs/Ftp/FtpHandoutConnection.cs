using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Netlab.Labs.Core;

namespace Netlab.Labs.Ftp;

/// <summary>
/// What the server said about one command, in the handout's style: its final status message (the
/// handout's "OK", or an RFC 959 reply), the size it announced on the control connection, if any,
/// and the bytes its data connection carried.
/// </summary>
public sealed record FtpHandoutExchange(string Status, int? Code, long? AnnouncedSize, long DataBytes, bool DataClosed)
{
    /// <summary>A status that says no: an RFC 959 4xx/5xx, or a bare "error"/"fail" word as students write them.</summary>
    public bool Failed => Code >= 400 || (Code is null && (Status.StartsWith("error", StringComparison.OrdinalIgnoreCase) || Status.StartsWith("fail", StringComparison.OrdinalIgnoreCase)));
}

/// <summary>
/// The client side of handout 004's class-exercise protocol, for talking to a server a student
/// wrote from the handout (ftpserver.py): the greeting and the statuses are free text ("connected",
/// "OK") that may come without a line end; the client listens on a data port and sends
/// <c>PORT &lt;port&gt;</c> (a bare port, no login); the server connects once and keeps that data
/// connection; each command's result comes over it and a status over the control connection;
/// a file's size may be announced on the control connection first. The end of a transfer is
/// therefore the announced size, or the server closing the data connection (then the next
/// command sends PORT again, as an RFC 959 server also wants), or, as the handout's own client
/// does with settimeout, the data going quiet after the status arrived.
/// Every read is bounded: message length, data bytes, and time.
/// </summary>
public sealed class FtpHandoutConnection : IAsyncDisposable
{
    /// <summary>The longest status message kept; longer text is cut there (it is a status, not data).</summary>
    public const int MaxMessage = 4096;

    /// <summary>The most status messages one command may bring before its final one (1xx replies, size lines).</summary>
    public const int MaxMessagesPerCommand = 32;

    private readonly Socket control;
    private readonly LineReader reader;
    private readonly Socket listener;
    private readonly FtpTranscript transcript;
    private readonly int timeoutMs;
    private readonly int pauseMs;
    private readonly TimeProvider time;
    private Task<Socket>? accepting;
    private Socket? data;
    private bool portSent;

    private FtpHandoutConnection(Socket control, IEventSink events, int timeoutMs, int pauseMs, TimeProvider time)
    {
        this.control = control;
        this.timeoutMs = timeoutMs;
        this.pauseMs = pauseMs;
        this.time = time;
        reader = new LineReader(new NetworkStream(control, ownsSocket: false));
        Name = control.RemoteEndPoint!.ToString()!;
        transcript = new FtpTranscript(events, Name);
        var local = FtpHostPort.Normalize(((IPEndPoint)control.LocalEndPoint!).Address);
        // The handout's PORT names a port only: the server connects to the address we came from.
        listener = new Socket(local.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(local, 0));
        listener.Listen(1);
    }

    public string Name { get; }

    /// <summary>The port this client's data listener has, the one its PORT commands name.</summary>
    public int DataPort => ((IPEndPoint)listener.LocalEndPoint!).Port;

    /// <summary>Connects, reads the greeting (any text) and sends the first PORT; gives back the greeting.</summary>
    public static async Task<(FtpHandoutConnection Connection, string Greeting, string PortStatus)> ConnectAsync(IPEndPoint server, IEventSink events, int timeoutMs,
        CancellationToken cancellationToken, int pauseMs = 300, TimeProvider? time = null)
    {
        time ??= TimeProvider.System;
        var socket = new Socket(server.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            using var deadline = Deadline.After(timeoutMs, cancellationToken, time);
            await socket.ConnectAsync(server, deadline.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            socket.Dispose();
            throw new LabException($"No connection to {server} within {timeoutMs} ms.");
        }
        catch
        {
            socket.Dispose();
            throw;
        }
        var connection = new FtpHandoutConnection(socket, events, timeoutMs, pauseMs, time);
        try
        {
            connection.Info($"connected to {server} from {socket.LocalEndPoint} (handout 004 style)");
            var greeting = await connection.ReadMessageAsync(cancellationToken) ?? throw new FtpProtocolException("the server closed the connection without a greeting");
            var status = await connection.SendPortAsync(cancellationToken);
            return (connection, greeting, status);
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// Sends one command and gathers what it brings: control messages up to a final status, and
    /// the data connection's bytes into <paramref name="download"/> (at most <paramref name="limit"/>),
    /// or, with <paramref name="upload"/>, sends that over the data connection and closes it.
    /// </summary>
    public async Task<FtpHandoutExchange> ExchangeAsync(string command, Stream? download, Stream? upload, long limit, CancellationToken cancellationToken,
        FtpTransferDirection? transfer = null, string path = "")
    {
        if (!portSent)
            await SendPortAsync(cancellationToken);
        var started = Stopwatch.GetTimestamp();
        var count = new FtpByteCount();
        var progress = new Progress();
        var closed = false;
        string? error = null;
        await SendAsync(command, cancellationToken);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Task dataSide;
        if (upload is not null)
            dataSide = UploadAsync(upload, count, stop.Token);
        else
            dataSide = DownloadAsync(download ?? Stream.Null, limit, count, progress, stop.Token);
        try
        {
            var control = ReadStatusAsync(progress, stop.Token);
            // A data side that fails (a flood past the limit, a reset) ends the command at once,
            // even when the server never sends a status.
            if (await Task.WhenAny(control, dataSide) == dataSide && dataSide.IsFaulted)
                await dataSide;
            var (status, code) = await control;
            progress.StatusAt = time.GetTimestamp();
            await dataSide;
            closed = data is null;
            var exchange = new FtpHandoutExchange(status, code, progress.Announced, count.Bytes, closed);
            if (exchange.Failed)
                error = status;
            return exchange;
        }
        catch (Exception e)
        {
            error = e.Message;
            await stop.CancelAsync();
            await dataSide.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            throw;
        }
        finally
        {
            if (transfer is { } direction && (count.Bytes > 0 || upload is not null || direction != FtpTransferDirection.Listing || error is null))
                transcript.Transfer(FtpDataMode.Active, direction, path, Stopwatch.GetElapsedTime(started, time.GetTimestamp()).TotalMilliseconds, count.Bytes, error is null, error, clientSide: true);
        }
    }

    /// <summary>Control messages up to the command's final status; a size announced on the way goes to <paramref name="progress"/>.</summary>
    private async Task<(string Status, int? Code)> ReadStatusAsync(Progress progress, CancellationToken cancellationToken)
    {
        for (var messages = 0; messages < MaxMessagesPerCommand; messages++)
        {
            var message = await ReadMessageAsync(cancellationToken) ?? throw new FtpProtocolException("the server closed the control connection");
            var trimmed = message.Trim();
            if (trimmed.Length > 0 && trimmed.Length <= 18 && trimmed.All(char.IsAsciiDigit))
            {
                // The handout: "send the size of the file via control channel, then the data via data channel".
                progress.Announced = long.Parse(trimmed, CultureInfo.InvariantCulture);
                continue;
            }
            // A size and "OK" sent by two send() calls may arrive as one read: "1234OK".
            var digits = trimmed.TakeWhile(char.IsAsciiDigit).Count();
            if (digits is > 0 and <= 18 && (digits > 3 || (trimmed.Length > digits && char.IsAsciiLetter(trimmed[digits]))))
            {
                progress.Announced = long.Parse(trimmed[..digits], CultureInfo.InvariantCulture);
                trimmed = trimmed[digits..].Trim();
            }
            int? code = trimmed.Length >= 3 && trimmed[..3].All(char.IsAsciiDigit) && (trimmed.Length == 3 || trimmed[3] is ' ' or '-')
                ? int.Parse(trimmed[..3], CultureInfo.InvariantCulture) : null;
            // RFC 959 style: 1xx are preliminary ("150 Opening data connection") and "ddd-" opens a multi-line reply.
            if (code is >= 100 and < 200 || (code is not null && trimmed.Length > 3 && trimmed[3] == '-'))
                continue;
            return (trimmed, code);
        }
        throw new FtpProtocolException($"the server sent {MaxMessagesPerCommand} messages for one command without a final status");
    }

    /// <summary>
    /// Reads what the data connection brings for one command: until the announced size, the
    /// server closing it, or a quiet pause once the status has arrived. Before the status, a stall
    /// longer than the timeout is an error; a server that never connects is fine (a command
    /// without data, e.g. cd against an RFC 959 server).
    /// </summary>
    private async Task DownloadAsync(Stream destination, long limit, FtpByteCount count, Progress progress, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
        try
        {
            var lastByte = time.GetTimestamp();
            while (true)
            {
                var size = progress.Announced;
                // Quiet since the later of the last byte and the status: data sent just before the
                // status may still be in flight, and a server that closes after the data does so by then
                // (so the next command knows to send PORT again), even when the size was reached.
                var quietMs = progress.StatusAt is { } statusAt ? time.GetElapsedTime(Math.Max(lastByte, statusAt)).TotalMilliseconds : (double?)null;
                if (quietMs >= pauseMs && (size is null || count.Bytes >= size))
                    return;
                if (quietMs >= timeoutMs)
                    throw new FtpProtocolException($"the server announced {size} bytes and sent {count.Bytes}, then nothing for {timeoutMs} ms");
                if (quietMs is null && time.GetElapsedTime(lastByte).TotalMilliseconds >= timeoutMs && data is not null)
                    throw new FtpProtocolException($"the data connection stalled: nothing for {timeoutMs} ms and no status");
                using var wait = Deadline.After(pauseMs, cancellationToken, time);
                try
                {
                    var socket = await DataSocketAsync(wait.Token);
                                        var n = await socket.ReceiveAsync(buffer, SocketFlags.None, wait.Token);
                    if (n == 0)
                    {
                        // The end of this transfer, RFC 959 style: the next command needs a new PORT.
                        Info("data connection closed by the server", TranscriptChannel.Data);
                        CloseData();
                        return;
                    }
                    if (count.Bytes + n > limit)
                        throw new FtpProtocolException($"the server sent more than {limit} bytes, this client's limit; stopped");
                    await destination.WriteAsync(buffer.AsMemory(0, n), cancellationToken);
                    count.Add(n);
                    lastByte = time.GetTimestamp();
                }
                catch (OperationCanceledException) when (wait.Expired)
                {
                    // A pause: look at the status and the size again.
                }
                catch (IOException e) when (e.InnerException is SocketException inner)
                {
                    throw inner;
                }
            }
        }
        catch (SocketException e)
        {
            CloseData();
            throw new FtpProtocolException($"data connection failed: {e.Message}");
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>What the control side has learnt so far, read by the data side while both run.</summary>
    private sealed class Progress
    {
        private long announced = -1;
        private long statusAt = -1;

        public long? Announced
        {
            get => Interlocked.Read(ref announced) is var v && v >= 0 ? v : null;
            set => Interlocked.Exchange(ref announced, value ?? -1);
        }

        public long? StatusAt
        {
            get => Interlocked.Read(ref statusAt) is var v && v >= 0 ? v : null;
            set => Interlocked.Exchange(ref statusAt, value ?? -1);
        }
    }

    /// <summary>A put: the file over the data connection, then the connection closed (the only end a handout server can see).</summary>
    private async Task UploadAsync(Stream source, FtpByteCount count, CancellationToken cancellationToken)
    {
        using var connect = Deadline.After(timeoutMs, cancellationToken, time);
        Socket socket;
        try
        {
            socket = await DataSocketAsync(connect.Token);
        }
        catch (OperationCanceledException) when (connect.Expired)
        {
            throw new FtpProtocolException($"the server did not open the data connection within {timeoutMs} ms");
        }
        try
        {
            await FtpDataStreams.SendAsync(socket, source, timeoutMs, count, cancellationToken, time);
        }
        catch (Exception e) when (e is SocketException or FtpDataTimeoutException)
        {
            throw new FtpProtocolException($"data connection failed: {e.Message}");
        }
        finally
        {
            CloseData();
        }
    }

    /// <summary>The data connection: the one open, or the next the server makes to our listener.</summary>
    private async Task<Socket> DataSocketAsync(CancellationToken cancellationToken)
    {
        if (data is { } open)
            return open;
        // One accept outlives a pause: the server may connect at any time after PORT.
        accepting ??= listener.AcceptAsync(CancellationToken.None).AsTask();
        data = await accepting.WaitAsync(cancellationToken);
        accepting = null;
        Info($"connected from {data.RemoteEndPoint} (active)", TranscriptChannel.Data);
        return data;
    }

    private void CloseData()
    {
        data?.CloseQuietly();
        data = null;
        portSent = false;
    }

    /// <summary>PORT with our listener's port, bare as the handout writes it; gives back the status.</summary>
    private async Task<string> SendPortAsync(CancellationToken cancellationToken)
    {
        await SendAsync(string.Create(CultureInfo.InvariantCulture, $"PORT {DataPort}"), cancellationToken);
        portSent = true;
        for (var i = 0; i < MaxMessagesPerCommand; i++)
        {
            var status = await ReadMessageAsync(cancellationToken) ?? throw new FtpProtocolException("the server closed the connection after PORT");
            if (!(status.Length > 3 && status[..3].All(char.IsAsciiDigit) && status[3] == '-'))
                return status.Trim();
        }
        throw new FtpProtocolException($"the server sent {MaxMessagesPerCommand} messages for PORT without a final one");
    }

    /// <summary>Sends a command as the handout's client does, in one send() with no line end.</summary>
    private async Task SendAsync(string command, CancellationToken cancellationToken)
    {
        if (command.Contains('\r') || command.Contains('\n'))
            throw new LabException("A command cannot contain a line break.");
        transcript.Write(TranscriptDirection.ClientToServer, command);
        using var deadline = Deadline.After(timeoutMs, cancellationToken, time);
        await control.SendAsync(Encoding.UTF8.GetBytes(command), SocketFlags.None, deadline.Token);
    }

    /// <summary>
    /// The next control message: a line, or what arrived followed by a pause (the handout's server
    /// sends "connected" and "OK" without a line end); null when the server closed. Waits at most
    /// the timeout for the first byte.
    /// </summary>
    private async Task<string?> ReadMessageAsync(CancellationToken cancellationToken)
    {
        using var overall = Deadline.After(timeoutMs, cancellationToken, time);
        try
        {
            while (true)
            {
                using var pause = Deadline.After(pauseMs, overall.Token, time);
                WireLine? line;
                try
                {
                    line = await reader.ReadLineAsync(MaxMessage, pause.Token);
                }
                catch (OperationCanceledException) when (pause.Expired && reader.TakeUnterminated(MaxMessage) is { } unterminated)
                {
                    line = unterminated;
                }
                catch (OperationCanceledException) when (pause.Expired)
                {
                    continue; // nothing yet: keep waiting within the timeout
                }
                if (line is not { } message)
                    return null;
                var text = Encoding.UTF8.GetString(message.Bytes);
                transcript.Write(TranscriptDirection.ServerToClient, message.TooLong ? $"{Printable.Ascii(message.Bytes, 200)} ({MaxMessage}+ bytes, cut)" : text);
                return text;
            }
        }
        catch (OperationCanceledException) when (overall.Expired)
        {
            throw new FtpProtocolException($"no reply within {timeoutMs} ms");
        }
    }

    public void Info(string text, TranscriptChannel channel = TranscriptChannel.Control) =>
        transcript.Write(TranscriptDirection.Info, text, channel);

    /// <summary>QUIT (best effort) and close.</summary>
    public async Task<string?> QuitAsync(CancellationToken cancellationToken)
    {
        try
        {
            await SendAsync("QUIT", cancellationToken);
            return await ReadMessageAsync(cancellationToken);
        }
        catch (Exception e) when (e is SocketException or FtpProtocolException or ObjectDisposedException or IOException)
        {
            return null;
        }
    }

    public ValueTask DisposeAsync()
    {
        data?.CloseQuietly();
        listener.Dispose();
        control.CloseQuietly();
        return ValueTask.CompletedTask;
    }
}
