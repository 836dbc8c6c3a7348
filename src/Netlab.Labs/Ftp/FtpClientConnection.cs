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
    private readonly FtpTranscript transcript;
    private readonly int timeoutMs;
    private readonly IPEndPoint server;

    private FtpClientConnection(Socket control, IEventSink events, int timeoutMs)
    {
        this.control = control;
        this.timeoutMs = timeoutMs;
        reader = new LineReader(new NetworkStream(control, ownsSocket: false));
        server = (IPEndPoint)control.RemoteEndPoint!;
        Name = server.ToString();
        transcript = new FtpTranscript(events, Name);
    }

    /// <summary>The server's endpoint as text; the Connection of this client's transcript lines.</summary>
    public string Name { get; }

    public IPEndPoint LocalEndPoint => (IPEndPoint)control.LocalEndPoint!;

    /// <summary>Passive (PASV/EPSV, the client connects) or active (PORT/EPRT, the server connects).</summary>
    public bool Passive { get; set; }

    /// <summary>Connects and returns the connection with the server's greeting read (it may be 421 or 5xx: check it).</summary>
    public static async Task<(FtpClientConnection Connection, FtpReply Greeting)> ConnectAsync(IPEndPoint server, IEventSink events, int timeoutMs, CancellationToken cancellationToken)
    {
        var socket = await ConnectControlAsync(server, timeoutMs, cancellationToken);
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

    /// <summary>A control connection to the server within the timeout (both client styles, RFC 959 and handout 004, start so).</summary>
    internal static async Task<Socket> ConnectControlAsync(IPEndPoint server, int timeoutMs, CancellationToken cancellationToken, TimeProvider? time = null)
    {
        var socket = new Socket(server.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            using var deadline = Deadline.After(timeoutMs, cancellationToken, time);
            await socket.ConnectAsync(server, deadline.Token);
            return socket;
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
    }

    /// <summary>Reads one reply within the timeout; throws <see cref="FtpProtocolException"/> on garbage or a closed connection.</summary>
    public async Task<FtpReply> ReadReplyAsync(CancellationToken cancellationToken)
    {
        using var deadline = Deadline.After(timeoutMs, cancellationToken);
        try
        {
            return FtpReply.From(await MultilineReply.ReadAsync(reader, FtpReply.Grammar, line => transcript.Write(TranscriptDirection.ServerToClient, line), deadline.Token));
        }
        catch (OperationCanceledException) when (deadline.Expired)
        {
            throw new FtpProtocolException($"no reply within {timeoutMs} ms");
        }
        catch (ReplyFormatException e)
        {
            throw new FtpProtocolException(e.Message);
        }
    }

    /// <summary>Sends one command line (the transcript masks the password of PASS, the wire does not).</summary>
    public async Task SendAsync(string command, CancellationToken cancellationToken)
    {
        if (command.Contains('\r') || command.Contains('\n'))
            throw new LabException("A command cannot contain a line break.");
        transcript.Write(TranscriptDirection.ClientToServer, command);
        using var deadline = Deadline.After(timeoutMs, cancellationToken);
        await control.SendAsync(Encoding.UTF8.GetBytes(command + "\r\n"), SocketFlags.None, deadline.Token);
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
    /// <param name="limit">The most bytes a download may bring: a hostile server must not fill the portal's memory or disk.</param>
    public async Task<FtpDataResult> TransferAsync(string command, FtpTransferDirection direction, string path, Stream? upload, Stream? download, CancellationToken cancellationToken,
        long limit = long.MaxValue)
    {
        var started = Stopwatch.GetTimestamp();
        var count = new FtpByteCount();
        var data = new DataConnection();
        string? error = null;
        var completed = false;
        var opened = true; // false when the server refused before any data connection: then there is no transfer to report
        try
        {
            if (await (Passive ? ConnectPassiveAsync(data, cancellationToken) : ListenActiveAsync(data, cancellationToken)) is { } refusal)
                return Refused(refusal);
            var reply = await CommandAsync(command, cancellationToken);
            if (!reply.IsPreliminary)
                return Refused(reply);
            var socket = await data.ConnectedAsync(this);
            if (upload is not null)
                await FtpDataStreams.SendAsync(socket, upload, timeoutMs, count, cancellationToken);
            else
                await FtpDataStreams.ReceiveAsync(socket, download!, limit, timeoutMs, count, cancellationToken);
            socket.Dispose();
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
        catch (FtpLimitException e)
        {
            // Stop reading (closing the data connection) and say so; the control connection stays usable.
            error = $"the server sent {e.Message}, this client's limit for a {(direction == FtpTransferDirection.Listing ? "listing" : "download")}; stopped";
            throw new FtpProtocolException(error);
        }
        finally
        {
            data.Dispose();
            if (opened)
                transcript.Transfer(Passive ? FtpDataMode.Passive : FtpDataMode.Active, direction, path, Elapsed(), count.Bytes, completed, error, clientSide: true);
        }

        FtpDataResult Refused(FtpReply refusal)
        {
            opened = false;
            return new FtpDataResult(refusal, 0, false, Elapsed());
        }

        double Elapsed() => Stopwatch.GetElapsedTime(started).TotalMilliseconds;
    }

    private IPAddress LocalAddress => FtpHostPort.Normalize(LocalEndPoint.Address);

    /// <summary>
    /// PASV (EPSV over IPv6) and a connection to the port it names; the refusal, or null. The
    /// address in a 227 is ignored, as curl does: it may be private or a bounce target; the data
    /// connection goes to the host the control connection reached (RFC 2577 section 3).
    /// </summary>
    private async Task<FtpReply?> ConnectPassiveAsync(DataConnection data, CancellationToken cancellationToken)
    {
        var reply = await CommandAsync(LocalAddress.AddressFamily == AddressFamily.InterNetwork ? "PASV" : "EPSV", cancellationToken);
        int port;
        if (reply.Code == 227 && FtpHostPort.TryParsePasvReply(reply.Message, out var offered))
            port = offered.Port;
        else if (reply.Code == 229 && FtpHostPort.TryParseEpsvReply(reply.Message, out var epsvPort))
            port = epsvPort;
        else
            return reply;
        var target = new IPEndPoint(FtpHostPort.Normalize(server.Address), port);
        data.Socket = new Socket(target.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        using (var deadline = Deadline.After(timeoutMs, cancellationToken))
            await data.Socket.ConnectAsync(target, deadline.Token);
        Info($"connected to {target} (passive)", TranscriptChannel.Data);
        return null;
    }

    /// <summary>A listener on our address, PORT (EPRT over IPv6) naming it, and the accept started; the refusal, or null.</summary>
    private async Task<FtpReply?> ListenActiveAsync(DataConnection data, CancellationToken cancellationToken)
    {
        var local = LocalAddress;
        data.Listener = new Socket(local.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        data.Listener.Bind(new IPEndPoint(local, 0));
        data.Listener.Listen(1);
        var bound = (IPEndPoint)data.Listener.LocalEndPoint!;
        var reply = await CommandAsync(local.AddressFamily == AddressFamily.InterNetwork ? $"PORT {FtpHostPort.FormatPort(bound)}" : $"EPRT {FtpHostPort.FormatEprt(bound)}", cancellationToken);
        if (!reply.IsSuccess)
            return reply;
        // The server connects after it has our transfer command and its reply: allow both.
        data.AcceptDeadline = Deadline.After(timeoutMs * 2, cancellationToken);
        data.Accepting = data.Listener.AcceptAsync(data.AcceptDeadline.Token).AsTask();
        return null;
    }

    /// <summary>One transfer's data connection while it is set up: the passive socket, or the active listener and its accept.</summary>
    private sealed class DataConnection : IDisposable
    {
        public Socket? Socket { get; set; }
        public Socket? Listener { get; set; }
        public Task<Socket>? Accepting { get; set; }
        public Deadline? AcceptDeadline { get; set; }

        /// <summary>The connected socket: the passive one, or the server's connection to our listener.</summary>
        public async Task<Socket> ConnectedAsync(FtpClientConnection owner)
        {
            if (Accepting is null)
                return Socket!;
            Socket = await Accepting;
            owner.Info($"connected from {Socket.RemoteEndPoint} (active)", TranscriptChannel.Data);
            return Socket;
        }

        public void Dispose()
        {
            Listener?.Dispose();
            Socket?.Dispose();
            AcceptDeadline?.Dispose();
        }
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
        transcript.Write(TranscriptDirection.Info, text, channel);

    public ValueTask DisposeAsync()
    {
        control.CloseQuietly();
        return ValueTask.CompletedTask;
    }
}
