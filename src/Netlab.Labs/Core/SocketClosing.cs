using System.Net.Sockets;

namespace Netlab.Labs.Core;

public static class SocketClosing
{
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
