// Tests of the Kubernetes module live beside this file.
