using System.Net;
using System.Net.Sockets;
using System.Text;
using Netlab.Labs.Core;

namespace Netlab.Labs.Ftp;

/// <summary>
/// The lab's FTP server on plain sockets (RFC 959, with EPRT/EPSV of RFC 2428 and SIZE/MDTM of
/// RFC 3659): a control connection per client, each served concurrently by an
/// <see cref="FtpSession"/>, data connections in active and passive mode, files under a root
/// folder that only the upload folder may change. Bounded in sessions, line length and time.
/// </summary>
public sealed class FtpServer : LabServer
{
    private const int Backlog = 512;

    private readonly FtpSessionContext context;
    private readonly Lock gate = new();
    private readonly Dictionary<Socket, Task> sessions = [];
    private Socket? listener;

    public FtpServer(FtpServerOptions options, ServerContext server) : base("ftp", server.EndPoint, server.Events)
    {
        var content = new ContentRoot(server.Environment.ContentRoot);
        if (content.TryResolve(options.Root, out var root) != ContentRoot.Outcome.Found || !Directory.Exists(root))
            throw new LabException($"The FTP root \"{options.Root}\" is not a folder in the content root {content.RootPath}.");
        if (!FtpAccounts.TryParse(options.Accounts, out var accounts, out var error))
            throw new LabException(error);
        Files = new FtpFileSystem(new ContentRoot(root), options.UploadFolder, options.ReadOnly);
        context = new FtpSessionContext(options, Files, accounts, server.Events);
    }

    public FtpFileSystem Files { get; }

    /// <summary>Sessions open now.</summary>
    public int SessionCount { get { lock (gate) return sessions.Count; } }

    protected override IPEndPoint Bind(IPEndPoint requested)
    {
        var s = new Socket(requested.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            s.Bind(requested);
            s.Listen(Backlog);
        }
        catch
        {
            s.Dispose();
            throw;
        }
        listener = s;
        Events.Emit(new LogLine(LogSeverity.Info, $"FTP server on ftp://{s.LocalEndPoint}/ serving {Files.Root.RootPath}"
            + (Files.UploadPath is { } upload && context.Options.ReadOnly ? $", writable: {upload}" : context.Options.ReadOnly ? ", read-only" : ", all writable")));
        return (IPEndPoint)s.LocalEndPoint!;
    }

    protected override async Task ServeAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await listener!.AcceptAsync(stoppingToken);
            }
            catch (SocketException e) when (!stoppingToken.IsCancellationRequested && e.SocketErrorCode is SocketError.ConnectionAborted or SocketError.ConnectionReset)
            {
                continue;
            }
            client.NoDelay = true;
            var name = client.RemoteEndPoint?.ToString() ?? "?";
            lock (gate)
            {
                if (sessions.Count >= context.Options.MaxSessions)
                {
                    _ = RefuseAsync(client, name);
                    continue;
                }
                var session = new FtpSession(client, name, context);
                sessions[client] = Task.Run(async () =>
                {
                    try
                    {
                        await session.RunAsync(stoppingToken);
                    }
                    catch (Exception e)
                    {
                        // A bug in one session must not reach the server: log it and drop the connection.
                        Events.Emit(new LogLine(LogSeverity.Error, $"session {name}: {e.GetType().Name}: {e.Message}"));
                        client.Dispose();
                    }
                    finally
                    {
                        lock (gate) sessions.Remove(client);
                    }
                }, CancellationToken.None);
            }
        }
    }

    // RFC 959 section 5.4: 421 is the reply to a connection the server cannot serve now.
    private async Task RefuseAsync(Socket client, string name)
    {
        using (client)
        {
            try
            {
                const string Reply = "421 Too many sessions; try again later.\r\n";
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                Events.Emit(new TranscriptLine(TranscriptDirection.ServerToClient, TranscriptChannel.Control, Reply.TrimEnd(), name));
                await client.SendAsync(Encoding.ASCII.GetBytes(Reply), SocketFlags.None, timeout.Token);
                client.Shutdown(SocketShutdown.Both);
            }
            catch (Exception e) when (e is SocketException or OperationCanceledException)
            {
            }
        }
    }

    protected override void CloseListener() => listener?.Dispose();

    protected override async Task OnStoppedAsync()
    {
        Task[] running;
        lock (gate)
        {
            foreach (var socket in sessions.Keys)
                socket.Dispose();
            running = [.. sessions.Values];
        }
        await Task.WhenAll(running).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }
}
