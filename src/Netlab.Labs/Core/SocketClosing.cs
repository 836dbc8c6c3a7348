using System.Net.Sockets;

namespace Netlab.Labs.Core;

/// <summary>A socket's start and end of life, the same for every lab.</summary>
public static class SocketClosing
{
    /// <summary>
    /// A new socket set up by <paramref name="setUp"/> (options, bind, listen); when that throws
    /// (e.g. the port is taken) the socket is disposed rather than leaked, and the error goes on.
    /// </summary>
    public static Socket Open(AddressFamily family, SocketType type, ProtocolType protocol, Action<Socket> setUp)
    {
        var socket = new Socket(family, type, protocol);
        try
        {
            setUp(socket);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Ends a connection and frees the socket whatever state the peer left it in: Shutdown(Both)
    /// sends our FIN so the peer reads a clean end rather than a reset, and fails harmlessly when
    /// the peer is gone already (reset, or the socket closed by a stop) — nothing to report then.
    /// </summary>
    public static void CloseQuietly(this Socket socket)
    {
        try
        {
            socket.Shutdown(SocketShutdown.Both);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
        }
        socket.Dispose();
    }
}
