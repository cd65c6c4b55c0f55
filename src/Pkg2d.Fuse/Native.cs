using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Pkg2d.Fuse;

/// <summary>The libc calls FUSE needs (Linux, 64-bit).</summary>
internal static unsafe class Native
{
    public const int O_RDWR = 2;
    public const int O_CLOEXEC = 0x80000;
    public const ulong MS_RDONLY = 1, MS_NOSUID = 2, MS_NODEV = 4;
    public const int MNT_DETACH = 2;
    public const int EINTR = 4, ENOENT = 2, EAGAIN = 11, EBUSY = 16, EINVAL = 22, ENODEV = 19, ENOTCONN = 107;
    private const int AF_UNIX = 1, SOCK_STREAM = 1, SOL_SOCKET = 1, SCM_RIGHTS = 1, MSG_CMSG_CLOEXEC = 0x40000000;
    private const int F_SETFD = 2, FD_CLOEXEC = 1;

    [DllImport("libc", SetLastError = true)]
    public static extern int open(string path, int flags);

    [DllImport("libc", SetLastError = true)]
    public static extern int close(int fd);

    [DllImport("libc", SetLastError = true)]
    public static extern nint read(SafeFileHandle fd, byte* buffer, nint count);

    [DllImport("libc", SetLastError = true)]
    public static extern nint write(SafeFileHandle fd, byte* buffer, nint count);

    [DllImport("libc", SetLastError = true)]
    public static extern nint writev(SafeFileHandle fd, IoVector* vectors, int count);

    [DllImport("libc", SetLastError = true)]
    public static extern int mount(string source, string target, string fileSystemType, ulong flags, string data);

    [DllImport("libc", SetLastError = true)]
    public static extern int umount2(string target, int flags);

    [DllImport("libc")]
    public static extern uint geteuid();

    [DllImport("libc")]
    public static extern uint getegid();

    [DllImport("libc", SetLastError = true)]
    private static extern int socketpair(int domain, int type, int protocol, int* fds);

    [DllImport("libc", SetLastError = true)]
    private static extern int fcntl(int fd, int command, int argument);

    [DllImport("libc", SetLastError = true)]
    private static extern nint recvmsg(int fd, MessageHeader* message, int flags);

    [StructLayout(LayoutKind.Sequential)]
    public struct IoVector
    {
        public void* Base;
        public nuint Length;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct MessageHeader
    {
        public void* Name;
        public uint NameLength;
        public IoVector* Iov;
        public nuint IovLength;
        public void* Control;
        public nuint ControlLength;
        public int Flags;
    }

    public static int LastError => Marshal.GetLastPInvokeError();

    public static string Describe(int errno) => $"{Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})";

    /// <summary>The errno of stat(2) on <paramref name="path"/>, 0 when it succeeds.</summary>
    /// <summary>
    /// The errno of statfs(2) on a path, 0 on success. statfs always reaches a FUSE server (stat may be answered
    /// from attributes the kernel cached), so it tells a live mount from one whose server is gone (ENOTCONN).
    /// </summary>
    public static int StatfsError(string path)
    {
        byte* buffer = stackalloc byte[256];
        return statfs(path, buffer) == 0 ? 0 : LastError;
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int statfs(string path, byte* buffer);

    /// <summary>A connected unix socket pair; only the second end is inherited by child processes.</summary>
    public static (int Ours, int Theirs) SocketPair()
    {
        int* fds = stackalloc int[2];
        if (socketpair(AF_UNIX, SOCK_STREAM, 0, fds) != 0)
            throw new IOException($"socketpair: {Describe(LastError)}");
        fcntl(fds[0], F_SETFD, FD_CLOEXEC);
        return (fds[0], fds[1]);
    }

    /// <summary>Receives one file descriptor sent with SCM_RIGHTS, or -1 when none came.</summary>
    public static int ReceiveDescriptor(int socket)
    {
        byte data;
        var iov = new IoVector { Base = &data, Length = 1 };
        const int controlSize = 24; // CMSG_SPACE(sizeof(int))
        byte* control = stackalloc byte[controlSize];
        new Span<byte>(control, controlSize).Clear();
        var message = new MessageHeader { Iov = &iov, IovLength = 1, Control = control, ControlLength = controlSize };
        nint received;
        do
            received = recvmsg(socket, &message, MSG_CMSG_CLOEXEC);
        while (received < 0 && LastError == EINTR);
        if (received <= 0 || message.ControlLength < 20)
            return -1;
        // struct cmsghdr { size_t len; int level; int type; } followed by the descriptor.
        if (*(int*)(control + 8) != SOL_SOCKET || *(int*)(control + 12) != SCM_RIGHTS)
            return -1;
        return *(int*)(control + 16);
    }
}
