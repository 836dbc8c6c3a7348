# Correct: waits for the greeting, HELO, MAIL FROM, RCPT TO, DATA, a message with a subject ended by CRLF.CRLF, QUIT; CRLF everywhere.
import sys
from socket import socket, AF_INET, SOCK_STREAM
mailserver = (sys.argv[1], int(sys.argv[2]))
clientSocket = socket(AF_INET, SOCK_STREAM)
clientSocket.settimeout(10)
clientSocket.connect(mailserver)
EOL = "\r\n"
def send(line):
    clientSocket.send((line + EOL).encode())
    print(clientSocket.recv(1024).decode(), end="")
print(clientSocket.recv(1024).decode(), end="")
send("HELO Alice")
send("MAIL FROM:<alice@example.edu>")
send("RCPT TO:<bob@example.edu>")
send("DATA")
clientSocket.send(("From: alice@example.edu\r\nTo: bob@example.edu\r\n" + "Subject: Lab 3\r\n" + "\r\nI love computer networks!").encode())
clientSocket.send("\r\n.\r\n".encode())
print(clientSocket.recv(1024).decode(), end="")
send("QUIT")
clientSocket.close()
