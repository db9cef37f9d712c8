// systemd's end of the notify protocol, for the package test (debs.cmake): runs a program with
// NOTIFY_SOCKET naming a datagram socket of its own, waits for READY=1, stops the program with
// SIGTERM as `systemctl stop` does, and prints every message received, one a line ("\n" inside
// a message as " | "). Exits 0 when READY=1 and then STOPPING=1 arrived and the program exited
// with 0; 1 otherwise (docs/systemd.md).
//   notifylistener SECONDS PROGRAM [ARGUMENTS...]

#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

std::string receive(int fd)
{
    char buffer[4096];
    const ssize_t size = ::recv(fd, buffer, sizeof buffer, MSG_DONTWAIT);
    return size < 0 ? std::string() : std::string(buffer, size_t(size));
}

bool contains(const std::vector<std::string> &messages, const char *line)
{
    for (const std::string &message : messages) {
        size_t begin = 0;
        while (begin <= message.size()) {
            const size_t end = std::min(message.find('\n', begin), message.size());
            if (message.compare(begin, end - begin, line) == 0)
                return true;
            begin = end + 1;
        }
    }
    return false;
}

} // namespace

int main(int argc, char *argv[])
{
    if (argc < 3) {
        std::fprintf(stderr, "usage: notifylistener SECONDS PROGRAM [ARGUMENTS...]\n");
        return 2;
    }
    const auto timeout = std::chrono::seconds(std::atoi(argv[1]));
    const std::string name = "@qlifecycle-notifylistener-" + std::to_string(::getpid());

    const int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::memcpy(address.sun_path, name.c_str(), name.size());
    address.sun_path[0] = '\0'; // the abstract namespace: nothing to clean up
    const auto length = socklen_t(offsetof(sockaddr_un, sun_path) + name.size());
    if (fd < 0 || ::bind(fd, reinterpret_cast<const sockaddr *>(&address), length) != 0) {
        std::perror("notifylistener: socket");
        return 1;
    }
    ::setenv("NOTIFY_SOCKET", name.c_str(), 1);

    const pid_t child = ::fork();
    if (child == 0) {
        ::execv(argv[2], argv + 2);
        std::perror("notifylistener: exec");
        ::_exit(127);
    }

    std::vector<std::string> messages;
    bool stopped = false;
    int status = 0;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (::waitpid(child, &status, WNOHANG) == 0) {
        if (std::chrono::steady_clock::now() > deadline) {
            std::fprintf(stderr, "notifylistener: no exit within %s s\n", argv[1]);
            ::kill(child, SIGKILL);
            ::waitpid(child, &status, 0);
            break;
        }
        pollfd poller{fd, POLLIN, 0};
        if (::poll(&poller, 1, 20) > 0)
            messages.push_back(receive(fd));
        if (!stopped && contains(messages, "READY=1")) {
            ::kill(child, SIGTERM); // what `systemctl stop` does
            stopped = true;
        }
    }
    for (std::string message = receive(fd); !message.empty(); message = receive(fd))
        messages.push_back(message);

    for (std::string message : messages) {
        for (size_t at = message.find('\n'); at != std::string::npos; at = message.find('\n'))
            message.replace(at, 1, " | ");
        std::printf("%s\n", message.c_str());
    }
    const bool exitedCleanly = WIFEXITED(status) && WEXITSTATUS(status) == 0;
    if (!contains(messages, "READY=1") || !contains(messages, "STOPPING=1") || !exitedCleanly) {
        std::fprintf(stderr, "notifylistener: expected READY=1, STOPPING=1 and exit code 0 (%s)\n",
                     exitedCleanly ? "exited with 0" : "did not exit with 0");
        return 1;
    }
    return 0;
}
