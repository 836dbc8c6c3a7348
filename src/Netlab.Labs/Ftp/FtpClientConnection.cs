using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Netlab.Labs.Core;

namespace Netlab.Labs.Ftp;

/// <summary>How one data transfer went: the final reply (or the refusal), the bytes moved, and whether it completed.</summary>
public sealed record FtpDataResult(FtpReply Reply, long Bytes, bool Completed, double DurationMs);

/// <summary>
/// The client end of an FTP control connection and its data connections: send a command,
/// read its reply (multi-line too), and run a transfer in active mode (listen, PORT or EPRT,
/// accept the server's connection) or passive mode (PASV or EPSV, connect). Every wait is
/// bounded by the timeout; every line both ways and every data connection is reported as events.
/// </summary>
public sealed class FtpClientConnection : IAsyncDisposable
{
    private readonly Socket control;
    private readonly LineReader reader;
    private readonly IEventSink events;
    private readonly int timeoutMs;
    private readonly IPEndPoint server;

    private FtpClientConnection(Socket control, IEventSink events, int timeoutMs)
    {
        this.control = control;
        this.events = events;
        this.timeoutMs = timeoutMs;
        reader = new LineReader(new NetworkStream(control, ownsSocket: false));
        server = (IPEndPoint)control.RemoteEndPoint!;
        Name = server.ToString();
    }

    /// <summary>The server's endpoint as text; the Connection of this client's transcript lines.</summary>
    public string Name { get; }

    public IPEndPoint LocalEndPoint => (IPEndPoint)control.LocalEndPoint!;

    /// <summary>Passive (PASV/EPSV, the client connects) or active (PORT/EPRT, the server connects).</summary>
    public bool Passive { get; set; }

    /// <summary>Connects and returns the connection with the server's greeting read (it may be 421 or 5xx: check it).</summary>
    public static async Task<(FtpClientConnection Connection, FtpReply Greeting)> ConnectAsync(IPEndPoint server, IEventSink events, int timeoutMs, CancellationToken cancellationToken)
    {
        var socket = new Socket(server.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(timeoutMs);
            try
            {
                await socket.ConnectAsync(server, timeout.Token);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new LabException($"No connection to {server} within {timeoutMs} ms.");
            }
        }
        catch
        {
            socket.Dispose();
            throw;
        }
        var connection = new FtpClientConnection(socket, events, timeoutMs);
        connection.Info($"connected to {server} from {socket.LocalEndPoint}");
        try
        {
            return (connection, await connection.ReadReplyAsync(cancellationToken));
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    /// <summary>Reads one reply within the timeout; throws <see cref="FtpProtocolException"/> on garbage or a closed connection.</summary>
    public async Task<FtpReply> ReadReplyAsync(CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(timeoutMs);
        var parser = new FtpReplyParser();
        try
        {
            while (true)
            {
                var line = await reader.ReadLineAsync(FtpCommandParser.MaxLine, timeout.Token) ?? throw new FtpProtocolException("the server closed the control connection");
                if (line.TooLong)
                    throw new FtpProtocolException($"a reply line longer than {FtpCommandParser.MaxLine} bytes");
                var text = Encoding.UTF8.GetString(line.Bytes);
                events.Emit(new TranscriptLine(TranscriptDirection.ServerToClient, TranscriptChannel.Control, text, Name));
                if (parser.Add(text) is { } reply)
                    return reply;
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new FtpProtocolException($"no reply within {timeoutMs} ms");
        }
    }

    /// <summary>Sends one command line (PASS is masked in the transcript, not on the wire).</summary>
    public async Task SendAsync(string command, CancellationToken cancellationToken)
    {
        if (command.Contains('\r') || command.Contains('\n'))
            throw new LabException("A command cannot contain a line break.");
        var shown = command.StartsWith("PASS ", StringComparison.OrdinalIgnoreCase) ? "PASS ****" : command;
        events.Emit(new TranscriptLine(TranscriptDirection.ClientToServer, TranscriptChannel.Control, shown, Name));
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(timeoutMs);
        await control.SendAsync(Encoding.UTF8.GetBytes(command + "\r\n"), SocketFlags.None, timeout.Token);
    }

    public async Task<FtpReply> CommandAsync(string command, CancellationToken cancellationToken)
    {
        await SendAsync(command, cancellationToken);
        return await ReadReplyAsync(cancellationToken);
    }

    /// <summary>
    /// Runs one transfer command (RETR, STOR, LIST, NLST): sets up the data connection, sends the
    /// command, moves the bytes (from upload or into download), and reads the final reply. A
    /// refusal at any step comes back as that reply, not as an exception.
    /// </summary>
    public async Task<FtpDataResult> TransferAsync(string command, string direction, string path, Stream? upload, Stream? download, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var count = new FtpByteCount();
        Socket? listener = null;
        Socket? data = null;
        string? error = null;
        var completed = false;
        var opened = true; // false when the server refused before any data connection: then there is no transfer to report
        FtpReply reply;
        using var acceptTimeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        try
        {
            Task<Socket>? accepting = null;
            var local = FtpHostPort.Normalize(LocalEndPoint.Address);
            var ipv4 = local.AddressFamily == AddressFamily.InterNetwork;
            if (Passive)
            {
                reply = await CommandAsync(ipv4 ? "PASV" : "EPSV", cancellationToken);
                int port;
                if (reply.Code == 227 && FtpHostPort.TryParsePasvReply(reply.Message, out var offered))
                    port = offered.Port;
                else if (reply.Code == 229 && FtpHostPort.TryParseEpsvReply(reply.Message, out var epsvPort))
                    port = epsvPort;
                else
                    return Refused(reply);
                // The address in a 227 is ignored, as curl does: it may be private or a bounce
                // target; the data connection goes to the host the control connection reached.
                var target = new IPEndPoint(FtpHostPort.Normalize(server.Address), port);
                data = new Socket(target.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                using var connectTimeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                connectTimeout.CancelAfter(timeoutMs);
                await data.ConnectAsync(target, connectTimeout.Token);
                Info($"connected to {target} (passive)", TranscriptChannel.Data);
            }
            else
            {
                listener = new Socket(local.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
                listener.Bind(new IPEndPoint(local, 0));
                listener.Listen(1);
                var bound = (IPEndPoint)listener.LocalEndPoint!;
                reply = await CommandAsync(ipv4 ? $"PORT {FtpHostPort.FormatPort(bound)}" : $"EPRT {FtpHostPort.FormatEprt(bound)}", cancellationToken);
                if (!reply.IsSuccess)
                    return Refused(reply);
                acceptTimeout.CancelAfter(timeoutMs * 2);
                accepting = listener.AcceptAsync(acceptTimeout.Token).AsTask();
            }

            reply = await CommandAsync(command, cancellationToken);
            if (!reply.IsPreliminary)
                return Refused(reply);
            if (accepting is not null)
            {
                data = await accepting;
                Info($"connected from {data.RemoteEndPoint} (active)", TranscriptChannel.Data);
            }
            if (upload is not null)
                await FtpDataStreams.SendAsync(data!, upload, timeoutMs, count, cancellationToken);
            else
                await FtpDataStreams.ReceiveAsync(data!, download!, long.MaxValue, timeoutMs, count, cancellationToken);
            data!.Dispose();
            reply = await ReadReplyAsync(cancellationToken);
            completed = reply.IsSuccess;
            if (!completed)
                error = reply.ToString();
            return new FtpDataResult(reply, count.Bytes, completed, Elapsed());
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            error = $"the server did not open the data connection within {timeoutMs * 2} ms";
            throw new FtpProtocolException(error);
        }
        catch (Exception e) when (e is SocketException or FtpDataTimeoutException or IOException)
        {
            error = $"data connection failed: {e.Message}";
            throw new FtpProtocolException(error);
        }
        finally
        {
            listener?.Dispose();
            data?.Dispose();
            if (opened)
            {
                var ms = Elapsed();
                var bytes = count.Bytes;
                events.Emit(new FtpTransfer(Name, Passive ? "passive" : "active", direction, path, bytes, ms, ms > 0 ? bytes / (ms / 1000) : 0, completed, error));
                Info(string.Create(CultureInfo.InvariantCulture,
                    $"{bytes} bytes {(upload is null ? "received" : "sent")} in {ms:F1} ms{(error is null ? "" : $" ({error})")}"), TranscriptChannel.Data);
            }
        }

        FtpDataResult Refused(FtpReply refusal)
        {
            opened = false;
            return new FtpDataResult(refusal, 0, false, Elapsed());
        }

        double Elapsed() => Stopwatch.GetElapsedTime(started).TotalMilliseconds;
    }

    /// <summary>Sends QUIT and reads the 221 (best effort: the server may already be gone).</summary>
    public async Task<FtpReply?> QuitAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await CommandAsync("QUIT", cancellationToken);
        }
        catch (Exception e) when (e is SocketException or FtpProtocolException or ObjectDisposedException)
        {
            return null;
        }
    }

    public void Info(string text, TranscriptChannel channel = TranscriptChannel.Control) =>
        events.Emit(new TranscriptLine(TranscriptDirection.Info, channel, text, Name));

    public ValueTask DisposeAsync()
    {
        try { control.Shutdown(SocketShutdown.Both); } catch (SocketException) { } catch (ObjectDisposedException) { }
        control.Dispose();
        return ValueTask.CompletedTask;
    }
}
