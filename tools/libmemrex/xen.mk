# The Xen backend and the guest agent: sources are added here.
