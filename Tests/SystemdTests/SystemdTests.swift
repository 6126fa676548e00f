// Tests of the Systemd module live beside this file.
